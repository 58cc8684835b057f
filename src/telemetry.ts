/**
 * Optional telemetry: when APPLICATIONINSIGHTS_CONNECTION_STRING is set, requests, dependencies
 * and traces go to Application Insights through Azure's OpenTelemetry distro; otherwise the
 * package is not even loaded. Imported by the entry point before express and http, so that
 * their instrumentation can attach.
 */
export function startTelemetry(env: Record<string, string | undefined>): boolean {
  const connectionString = env['APPLICATIONINSIGHTS_CONNECTION_STRING']?.trim();
  if (!connectionString) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when asked for
  const { useAzureMonitor } = require('@azure/monitor-opentelemetry') as typeof import('@azure/monitor-opentelemetry');
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString },
    // Live metrics keep a second channel open to Microsoft; the connector only needs traces and requests.
    enableLiveMetrics: false,
  });
  return true;
}
