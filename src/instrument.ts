// First import of the entry point: read .env, then start telemetry before anything else loads.
import 'dotenv/config';
import { startTelemetry } from './telemetry';

startTelemetry(process.env);
