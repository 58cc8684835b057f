import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { QueueServiceClient } from '@azure/storage-queue';
import { envSchema, parseEnv } from '../../src/config';
import { PACKAGE_PATH } from '../../scripts/package';
import {
  calls,
  Evaluator,
  isExpression,
  isListFunction,
  jsonStrings,
  lintTemplate,
  parseExpression,
  SAMPLE_RESOURCE_GROUP,
  type ArmResource,
  type ArmTemplate,
  type Node,
} from './armExpression';

/**
 * azuredeploy.json (the README's "Deploy to Azure" button, and `az deployment group create` in
 * "Deploy from a clone"): shape, security settings, app settings against the configuration schema,
 * and its expressions, evaluated for sample parameters; the README's Azure CLI commands against it.
 * What this cannot check without Azure: the deployment itself, that the API versions and
 * NODE|24-lts are accepted there, and the Oryx build (test/deploy/package.test.ts builds the zip's
 * content the way Oryx does, offline).
 */

const root = join(__dirname, '..', '..');
const templateText = readFileSync(join(root, 'azuredeploy.json'), 'utf8');
const template = JSON.parse(templateText) as ArmTemplate;
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  engines?: { node?: string };
};

/** The variable names of the configuration schema (src/config.ts). */
function configVariables(): Set<string> {
  return new Set(Object.keys(envSchema.shape));
}

/** Settings App Service or its build (Oryx, npm) reads, as opposed to the connector. */
const isAppServiceSetting = (name: string) =>
  name === 'SCM_DO_BUILD_DURING_DEPLOYMENT' || /^WEBSITES?_[A-Z0-9_]+$/.test(name) || /^NPM_CONFIG_[A-Z0-9_]+$/.test(name);

const resourceOf = (type: string): ArmResource => {
  const found = template.resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
  if (found.length !== 1) throw new Error(`azuredeploy.json declares ${found.length} resources of type ${type}, expected 1`);
  return found[0]!;
};
const site = resourceOf('Microsoft.Web/sites');
const plan = resourceOf('Microsoft.Web/serverfarms');
const storage = resourceOf('Microsoft.Storage/storageAccounts');
const sourceControl = resourceOf('Microsoft.Web/sites/sourcecontrols');

interface SiteProperties {
  serverFarmId: string;
  httpsOnly: boolean;
  siteConfig: {
    linuxFxVersion: string;
    alwaysOn: boolean;
    minTlsVersion: string;
    ftpsState: string;
    appSettings: { name: string; value: string }[];
  };
}
const siteProps = site.properties as SiteProperties;
const appSettings = siteProps.siteConfig.appSettings;
const setting = (name: string) => appSettings.find((s) => s.name === name);

const sampleParameters = (overrides: Record<string, unknown> = {}) => ({
  webAppName: 'contoso-x-archive',
  tenantId: randomUUID(),
  apiSecretKey: randomBytes(18).toString('base64url'),
  ...overrides,
});
const storageKey = randomBytes(64).toString('base64');

/** The call at the root of an expression string. */
const expr = (value: unknown): Node => {
  if (typeof value !== 'string' || !isExpression(value)) throw new Error(`not an expression: ${JSON.stringify(value)}`);
  return parseExpression(value);
};
const isCall = (n: Node | undefined, name: string, ...literalArgs: string[]) =>
  n?.kind === 'call' &&
  n.name.toLowerCase() === name.toLowerCase() &&
  n.access.length === 0 &&
  literalArgs.every((a, i) => {
    const arg = n.args[i];
    return arg?.kind === 'string' && arg.value === a;
  });

describe('azuredeploy.json: shape', () => {
  test('it is an ARM deployment template', () => {
    expect(template.$schema).toMatch(/^https:\/\/schema\.management\.azure\.com\/schemas\/\d{4}-\d{2}-\d{2}\/deploymentTemplate\.json#$/);
    expect(template.contentVersion).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(Array.isArray(template.resources)).toBe(true);
  });

  test('the form asks for webAppName (3-18), tenantId and apiSecretKey; everything else has a default', () => {
    const params = template.parameters ?? {};
    const required = Object.entries(params)
      .filter(([, p]) => !('defaultValue' in p))
      .map(([name]) => name)
      .sort();
    expect(required).toEqual(['apiSecretKey', 'tenantId', 'webAppName']);
    expect(params.webAppName).toMatchObject({ type: 'string', minLength: 3, maxLength: 18 });
    expect(params.tenantId!.type).toBe('string');
    expect(params.apiSecretKey!.type).toBe('securestring');
    expect(Object.keys(params).sort()).toEqual(['apiSecretKey', 'branch', 'location', 'repoUrl', 'sku', 'tenantId', 'webAppName']);
    expect(params.sku).toMatchObject({ type: 'string', defaultValue: 'B1' });
    // Free and Shared plans have no Always On, which the worker needs.
    expect(params.sku!.allowedValues).not.toEqual(expect.arrayContaining(['F1']));
    expect(params.sku!.allowedValues).not.toEqual(expect.arrayContaining(['D1']));
    expect(params.location).toMatchObject({ type: 'string', defaultValue: '[resourceGroup().location]' });
    expect(params.repoUrl).toMatchObject({ type: 'string', defaultValue: expect.stringMatching(/^https:\/\/github\.com\/[^/]+\/[^/]+$/) });
    expect(params.branch).toMatchObject({ type: 'string', defaultValue: 'main' });
  });

  test('apiSecretKey has the same minimum length as API_SECRET_KEY in the configuration schema', () => {
    const min = template.parameters!.apiSecretKey!.minLength!;
    expect(min).toBe(8);
    const env = { NODE_ENV: 'production', TENANT_ID: randomUUID() };
    expect(() => parseEnv({ ...env, API_SECRET_KEY: 'k'.repeat(min) })).not.toThrow();
    expect(() => parseEnv({ ...env, API_SECRET_KEY: 'k'.repeat(min - 1) })).toThrow(/API_SECRET_KEY/);
  });

  test('every resource has a literal, dated, non-preview API version', () => {
    for (const r of template.resources) expect(r.apiVersion).toMatch(/^20\d{2}-\d{2}-\d{2}$/);
    for (const { value } of jsonStrings(template)) {
      if (!isExpression(value)) continue;
      for (const c of calls(parseExpression(value))) {
        if (/^(reference|listKeys)$/i.test(c.name)) {
          const v = c.args[1];
          expect(v?.kind === 'string' && /^20\d{2}-\d{2}-\d{2}$/.test(v.value)).toBe(true);
        }
      }
    }
  });
});

describe('azuredeploy.json: resources', () => {
  test('a Linux App Service plan', () => {
    expect(plan.kind).toBe('linux');
    expect(plan.properties).toMatchObject({ reserved: true });
    expect(plan.sku).toEqual({ name: "[parameters('sku')]" });
  });

  test('the web app: Node 24 LTS on Linux, Always On, HTTPS only, TLS 1.2, no FTP', () => {
    expect(site.kind).toBe('app,linux');
    expect(siteProps.httpsOnly).toBe(true);
    const ev = new Evaluator(template, { parameters: sampleParameters(), storageKey });
    const config = ev.value(siteProps.siteConfig) as SiteProperties['siteConfig'];
    expect(config).toMatchObject({ linuxFxVersion: 'NODE|24-lts', alwaysOn: true, minTlsVersion: '1.2', ftpsState: 'Disabled' });
    // package.json's engines must allow the runtime the template picks.
    const engineMajor = Number(/(\d+)/.exec(packageJson.engines?.node ?? '')?.[1]);
    expect(Number(/NODE\|(\d+)/.exec(config.linuxFxVersion)?.[1])).toBeGreaterThanOrEqual(engineMajor);
    expect(ev.value(siteProps.serverFarmId)).toBe(ev.declared().find((d) => d.resource === plan)!.id);
  });

  test('the storage account: StorageV2, HTTPS only, TLS 1.2, no public blob access', () => {
    expect(storage.kind).toBe('StorageV2');
    expect(storage.properties).toMatchObject({
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
      allowBlobPublicAccess: false,
    });
  });

  test.each([['abc'], ['contoso-x-archive'], ['A-B-C-D-E-F-G-H-IJ'], ['x-' + 'y'.repeat(16)], ['web123']])(
    'for webAppName %s, the storage account and plan names are legal',
    (webAppName) => {
      const ev = new Evaluator(template, { parameters: sampleParameters({ webAppName }), storageKey });
      expect(ev.string(storage.name)).toMatch(/^[a-z0-9]{3,24}$/);
      expect(ev.string(plan.name)).toMatch(/^[A-Za-z0-9-]{1,60}$/);
      expect(ev.string(site.name)).toBe(webAppName);
    },
  );

  test('the storage account name differs between apps and resource groups', () => {
    const a = new Evaluator(template, { parameters: sampleParameters({ webAppName: 'contoso-x' }), storageKey });
    const b = new Evaluator(template, { parameters: sampleParameters({ webAppName: 'fabrikam-x' }), storageKey });
    expect(a.string(storage.name)).not.toBe(b.string(storage.name));
    const args = [...calls(expr(template.variables?.storageAccountName ?? storage.name))];
    const unique = args.find((c) => c.name.toLowerCase() === 'uniquestring');
    expect(unique && JSON.stringify(unique.args)).toContain('resourceGroup');
  });

  test('the site is deployed from repoUrl/branch once (manual integration)', () => {
    const ev = new Evaluator(template, { parameters: sampleParameters({ webAppName: 'contoso-x' }), storageKey });
    expect(ev.string(sourceControl.name)).toBe('contoso-x/web');
    expect(ev.deploys(sourceControl)).toBe(true);
    expect(sourceControl.properties).toEqual({
      repoUrl: "[parameters('repoUrl')]",
      branch: "[parameters('branch')]",
      isManualIntegration: true,
    });
  });

  test('when repoUrl is empty, then no repository is connected and everything else is deployed (the code comes by zip deploy)', () => {
    const ev = new Evaluator(template, { parameters: sampleParameters({ repoUrl: '' }), storageKey });
    expect(ev.deploys(sourceControl)).toBe(false);
    for (const r of template.resources.filter((x) => x !== sourceControl)) expect({ type: r.type, deployed: ev.deploys(r) }).toEqual({ type: r.type, deployed: true });
    // Nothing may need the skipped resource: a dependsOn or reference() to it would fail the deployment.
    const sourceControlId = ev.declared().find((d) => d.resource === sourceControl)!.id.toLowerCase();
    for (const { resource } of ev.declared()) {
      if (resource === sourceControl) continue;
      ev.touched.clear();
      ev.value(resource);
      expect([...ev.touched].map((t) => t.toLowerCase())).not.toContain(sourceControlId);
    }
    ev.touched.clear();
    ev.value(template.outputs);
    expect([...ev.touched].map((t) => t.toLowerCase())).not.toContain(sourceControlId);
    // The site still builds what is deployed to it.
    expect(setting('SCM_DO_BUILD_DURING_DEPLOYMENT')!.value).toBe('true');
  });
});

describe('azuredeploy.json: app settings', () => {
  test('every app setting is a variable of the configuration schema or an App Service / build setting', () => {
    const schema = configVariables();
    expect([...schema]).toEqual(expect.arrayContaining(['TENANT_ID', 'API_SECRET_KEY', 'STORAGE_CONNECTION_STRING', 'NODE_ENV']));
    const names = appSettings.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      if (!schema.has(name) && !isAppServiceSetting(name)) throw new Error(`app setting ${name} is neither in src/config.ts nor an App Service setting`);
    }
    expect(names).toEqual(expect.arrayContaining(['TENANT_ID', 'API_SECRET_KEY', 'STORAGE_CONNECTION_STRING', 'NODE_ENV', 'SCM_DO_BUILD_DURING_DEPLOYMENT']));
    expect(setting('NODE_ENV')!.value).toBe('production');
    expect(setting('SCM_DO_BUILD_DURING_DEPLOYMENT')!.value).toBe('true');
  });

  test('TENANT_ID and API_SECRET_KEY are the parameters as typed', () => {
    expect(isCall(expr(setting('TENANT_ID')!.value), 'parameters', 'tenantId')).toBe(true);
    expect(isCall(expr(setting('API_SECRET_KEY')!.value), 'parameters', 'apiSecretKey')).toBe(true);
  });

  test("STORAGE_CONNECTION_STRING is built from the account's key (listKeys) and the Azure SDKs accept it", () => {
    const node = expr(setting('STORAGE_CONNECTION_STRING')!.value);
    const listKeys = [...calls(node)].filter((c) => c.name.toLowerCase() === 'listkeys');
    expect(listKeys).toHaveLength(1);
    expect(isCall(listKeys[0]!.args[0], 'resourceId', 'Microsoft.Storage/storageAccounts')).toBe(true);

    const ev = new Evaluator(template, { parameters: sampleParameters(), storageKey });
    const account = ev.string(storage.name);
    const connectionString = ev.string(setting('STORAGE_CONNECTION_STRING')!.value);
    expect(connectionString).toBe(
      `DefaultEndpointsProtocol=https;AccountName=${account};AccountKey=${storageKey};EndpointSuffix=core.windows.net`,
    );
    expect(new URL(TableClient.fromConnectionString(connectionString, 'jobs').url).host).toBe(`${account}.table.core.windows.net`);
    expect(new URL(QueueServiceClient.fromConnectionString(connectionString).url).host).toBe(`${account}.queue.core.windows.net`);
  });

  test('the evaluated app settings pass the configuration schema in production mode', () => {
    const params = sampleParameters();
    const ev = new Evaluator(template, { parameters: params, storageKey });
    const env = Object.fromEntries(appSettings.map((s) => [s.name, ev.string(s.value)]));
    const config = parseEnv(env);
    expect(config).toMatchObject({
      production: true,
      tenantId: params.tenantId,
      apiSecretKey: params.apiSecretKey,
      storageConnectionString: env.STORAGE_CONNECTION_STRING,
    });
  });

  test('the Oryx build can run `npm run build` although NODE_ENV=production', () => {
    // npm skips devDependencies when NODE_ENV=production unless told to include them; the build
    // (and `prestart`, which rebuilds on `npm start`) runs the TypeScript compiler, a devDependency.
    const build = packageJson.scripts.build ?? '';
    const devTools = Object.keys(packageJson.devDependencies).filter((d) => build.includes(`node_modules/${d}/`) || build.split(/\s+/)[0] === d);
    if (devTools.length === 0 || setting('NODE_ENV')?.value !== 'production') return;
    expect(setting('NPM_CONFIG_INCLUDE')?.value.split(/[\s,]+/)).toContain('dev');
    expect(setting('PRUNE_DEV_DEPENDENCIES')?.value ?? 'false').toBe('false');
  });
});

describe('azuredeploy.json: expressions and secrets', () => {
  test('expressions parse, name declared parameters and variables, and use known functions', () => {
    expect(lintTemplate(template)).toEqual([]);
  });

  test('resourceId(), reference() and listKeys() name resources the template declares, and each resource depends on them', () => {
    const ev = new Evaluator(template, { parameters: sampleParameters(), storageKey });
    const declared = ev.declared();
    const ids = declared.map((d) => d.id.toLowerCase());
    expect(new Set(ids).size).toBe(ids.length);
    for (const { id, resource } of declared) {
      const depends = (resource.dependsOn ?? []).map((d) => ev.string(d).toLowerCase());
      for (const d of depends) expect(ids).toContain(d);
      ev.touched.clear();
      const { dependsOn: _dependsOn, ...rest } = resource;
      ev.value(rest);
      const used = [...ev.touched].map((t) => t.toLowerCase()).filter((t) => t !== id.toLowerCase());
      for (const u of used) {
        expect(ids).toContain(u);
        expect(depends).toContain(u);
      }
      // A child resource depends on its parent.
      const parent = declared.find((p) => id.toLowerCase().startsWith(`${p.id.toLowerCase()}/`));
      if (parent) expect(depends).toContain(parent.id.toLowerCase());
    }
    // Outputs only read declared resources.
    ev.touched.clear();
    ev.value(template.outputs);
    for (const t of ev.touched) expect(ids).toContain(t.toLowerCase());
  });

  test('the only output is the connector URL, and no output touches a secret', () => {
    const outputs = template.outputs ?? {};
    expect(Object.keys(outputs)).toEqual(['connectorUrl']);
    const ev = new Evaluator(template, { parameters: sampleParameters({ webAppName: 'contoso-x' }), storageKey });
    expect(ev.value(outputs.connectorUrl!.value)).toBe('https://contoso-x.azurewebsites.net');

    const secureParams = Object.entries(template.parameters ?? {})
      .filter(([, p]) => /^secure/i.test(p.type))
      .map(([n]) => n);
    const secretIn = (value: unknown, seen: string[] = []): string | undefined => {
      for (const { value: s } of jsonStrings(value)) {
        if (/AccountKey|ConnectionString|SharedAccessSignature/i.test(s)) return s;
        if (!isExpression(s)) continue;
        for (const c of calls(parseExpression(s))) {
          const arg = c.args[0];
          if (isListFunction(c.name)) return `${c.name}()`;
          if (c.name.toLowerCase() === 'parameters' && arg?.kind === 'string' && secureParams.includes(arg.value)) return `parameters('${arg.value}')`;
          if (c.name.toLowerCase() === 'variables' && arg?.kind === 'string' && !seen.includes(arg.value)) {
            const hit = secretIn(template.variables?.[arg.value], [...seen, arg.value]);
            if (hit) return `variables('${arg.value}') → ${hit}`;
          }
        }
      }
      return undefined;
    };
    for (const [name, output] of Object.entries(outputs)) {
      expect(output.type.toLowerCase()).not.toMatch(/^secure/);
      expect({ name, secret: secretIn(output) }).toEqual({ name, secret: undefined });
    }
  });

  test('no secret is written into the template', () => {
    // An account key only ever follows "AccountKey=" through listKeys(), never as text.
    for (const m of templateText.matchAll(/AccountKey=/gi)) {
      expect(templateText.slice(m.index! + m[0].length, m.index! + m[0].length + 1)).toMatch(/^['{]/);
    }
    expect(templateText).not.toMatch(/[A-Za-z0-9+/]{40,}={0,2}/); // base64 key-like runs
    expect(templateText).not.toMatch(/SharedAccessSignature=|[?&]sig=/i);
    for (const [name, p] of Object.entries(template.parameters ?? {})) {
      if (/^secure/i.test(p.type)) expect({ name, defaultValue: p.defaultValue }).toEqual({ name, defaultValue: undefined });
    }
    // The secret parameter goes to API_SECRET_KEY and nowhere else.
    const uses = [...jsonStrings(template)].filter(({ value }) => value.includes("parameters('apiSecretKey')"));
    expect(uses.map((u) => u.path)).toEqual([
      `$.resources[${template.resources.indexOf(site)}].properties.siteConfig.appSettings[${appSettings.indexOf(setting('API_SECRET_KEY')!)}].value`,
    ]);
  });
});

describe('the template checker itself', () => {
  const broken = (mutate: (t: ArmTemplate) => void): ArmTemplate => {
    const copy = JSON.parse(templateText) as ArmTemplate;
    mutate(copy);
    return copy;
  };

  test.each([
    ['an unbalanced bracket', "[concat('a', parameters('webAppName')]", /expected "\)"/],
    ['an unterminated string', "[concat('a, parameters('webAppName'))]", /unexpected|unterminated|expected/],
    ['a string that looks like an expression but is not closed', "[parameters('webAppName')", /does not end with/],
    ['an undeclared parameter', "[parameters('webappname')]", /parameters\('webappname'\) is not declared/],
    ['an undeclared variable', "[variables('nope')]", /variables\('nope'\) is not declared/],
    ['an unknown function', "[concatenate('a', 'b')]", /unknown function concatenate/],
    ['trailing tokens', "[parameters('webAppName')) ]", /unexpected/],
  ])('it reports %s', (_what, value, message) => {
    const t = broken((c) => {
      c.resources[0]!.tags = { probe: value };
    });
    expect(lintTemplate(t).join('\n')).toMatch(message);
  });

  test('"[[" escapes a literal bracket', () => {
    const t = broken((c) => {
      c.resources[0]!.tags = { probe: '[[not an expression]' };
    });
    expect(lintTemplate(t)).toEqual([]);
    expect(new Evaluator(t, { parameters: sampleParameters(), storageKey }).value('[[x]')).toBe('[x]');
  });

  test('it evaluates property and index access and rejects a reference to an undeclared resource', () => {
    const ev = new Evaluator(template, { parameters: sampleParameters(), storageKey });
    expect(ev.value("[resourceGroup().location]")).toBe(SAMPLE_RESOURCE_GROUP.location);
    expect(ev.value("[listKeys(resourceId('Microsoft.Storage/storageAccounts', variables('storageAccountName')), '2025-01-01').keys[0].value]")).toBe(storageKey);
    expect(() => ev.value("[reference(resourceId('Microsoft.Web/sites', 'someone-else'), '2024-11-01').defaultHostName]")).toThrow(/does not declare/);
  });
});

describe('README: Deploy to Azure', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- deploy:start -->');
  const end = readme.indexOf('<!-- deploy:end -->');
  const section = readme.slice(start, end);

  test('the deployment section sits between its markers', () => {
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    expect(readme.indexOf('<!-- deploy:start -->', start + 1)).toBe(-1);
    expect(readme.indexOf('<!-- deploy:end -->', end + 1)).toBe(-1);
  });

  test('the button opens the portal on the URL-encoded raw URL of azuredeploy.json, from the repository the template deploys', () => {
    const button = /\[!\[[^\]]*\]\((https:\/\/aka\.ms\/deploytoazurebutton)\)\]\((https:\/\/portal\.azure\.com\/#create\/Microsoft\.Template\/uri\/([^)\s]+))\)/.exec(section);
    expect(button).not.toBeNull();
    const encoded = button![3]!;
    const url = decodeURIComponent(encoded);
    expect(encodeURIComponent(url)).toBe(encoded);
    expect(url).toMatch(/^https:\/\/[^/]+\/.+\/azuredeploy\.json$/);
    const raw = /^https:\/\/raw\.githubusercontent\.com\/([^/]+)\/([^/]+)\/([^/]+)\/azuredeploy\.json$/.exec(url);
    expect(raw).not.toBeNull();
    const [, owner, repo, branch] = raw!;
    expect(template.parameters!.repoUrl!.defaultValue).toBe(`https://github.com/${owner}/${repo}`);
    expect(template.parameters!.branch!.defaultValue).toBe(branch);
  });

  test('the npm scripts and app settings the section names exist', () => {
    for (const m of section.matchAll(/npm run ([a-z:-]+)/g)) expect(Object.keys(packageJson.scripts)).toContain(m[1]);
    expect(packageJson.scripts.start).toBeDefined();
    for (const name of ['TENANT_ID', 'API_SECRET_KEY', 'STORAGE_CONNECTION_STRING']) expect(section).toContain(name);
    expect(section).toContain('/Views/TwitterOAuth');
  });
});

/**
 * The words of each command in the README's sh blocks, as sh would pass them: continuation lines
 * joined, comments dropped, quotes removed, `&&` splitting commands, and variables substituted
 * once assigned (`name=value`). A variable that `read` fills stays `$name`.
 */
function shellCommands(blocks: string[]): string[][] {
  const vars = new Map<string, string>();
  const expand = (text: string) => text.replace(/\$([A-Za-z_]\w*)/g, (m, name: string) => vars.get(name) ?? m);
  const commands: string[][] = [];
  for (const line of blocks.join('\n').replace(/\\\n/g, ' ').split('\n')) {
    const words: string[] = [];
    let word: string | undefined;
    for (let i = 0; i < line.length; ) {
      const c = line[i]!;
      if (c === "'" || c === '"') {
        const close = line.indexOf(c, i + 1);
        if (close < 0) throw new Error(`unterminated quote in: ${line}`);
        const inner = line.slice(i + 1, close);
        word = (word ?? '') + (c === '"' ? expand(inner) : inner);
        i = close + 1;
      } else if (/\s/.test(c)) {
        if (word !== undefined) words.push(word);
        word = undefined;
        i++;
      } else if (c === '#' && word === undefined) {
        break;
      } else {
        const bare = /^[^\s'"]+/.exec(line.slice(i))![0];
        word = (word ?? '') + expand(bare);
        i += bare.length;
      }
    }
    if (word !== undefined) words.push(word);
    let command: string[] = [];
    for (const w of [...words, '&&']) {
      if (w !== '&&') command.push(w);
      else if (command.length > 0) {
        const assignment = command.length === 1 ? /^([A-Za-z_]\w*)=(.*)$/.exec(command[0]!) : null;
        if (assignment) vars.set(assignment[1]!, assignment[2]!);
        commands.push(command);
        command = [];
      }
    }
  }
  return commands;
}

/** `--flag value…` options of a command, after its leading words. */
function options(command: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const w of command) {
    if (w.startsWith('--')) out.set(w, (current = []));
    else current?.push(w);
  }
  return out;
}

describe('README: Deploy from a clone (Azure CLI)', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- deploy:start -->'), readme.indexOf('<!-- deploy:end -->'));
  const heading = '### Deploy from a clone (Azure CLI)';
  const sub = section.slice(section.indexOf(heading), section.indexOf('\n### ', section.indexOf(heading) + heading.length));
  const blocks = [...sub.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const commands = shellCommands(blocks);
  const find = (...prefix: string[]) => {
    const hits = commands.filter((c) => prefix.every((p, i) => c[i] === p));
    if (hits.length !== 1) throw new Error(`README's CLI steps have ${hits.length} \`${prefix.join(' ')}\` commands, expected 1`);
    return { command: hits[0]!, at: commands.indexOf(hits[0]!), opts: options(hits[0]!) };
  };
  const one = (opts: Map<string, string[]>, flag: string) => {
    const v = opts.get(flag);
    if (v?.length !== 1) throw new Error(`${flag} should have one value, has ${JSON.stringify(v)}`);
    return v[0]!;
  };

  test('the section sits in the deployment section, and the button text points to it while the button says OWNER/REPO', () => {
    expect(section).toContain(heading);
    expect(blocks.length).toBeGreaterThan(0);
    // GitHub's anchor for the heading.
    const anchor = heading.replace(/^#+\s*/, '').toLowerCase().replace(/[^\w\s-]/g, '').replace(/\s/g, '-');
    expect(section).toContain(`(#${anchor})`);
    if (String(template.parameters!.repoUrl!.defaultValue).includes('OWNER/REPO')) {
      expect(section.replace(/<!--[\s\S]*?-->/g, '')).toMatch(/button works once `OWNER\/REPO` is replaced/);
    }
  });

  test('the commands come in order: resource group, template, package, zip deploy', () => {
    const order = [find('az', 'group', 'create'), find('az', 'deployment', 'group', 'create'), find('npm', 'run', 'package'), find('az', 'webapp', 'deploy')];
    expect(order.map((c) => c.at)).toEqual([...order.map((c) => c.at)].sort((a, b) => a - b));
    expect(commands.findIndex((c) => c[0] === 'npm' && c[1] === 'ci')).toBeLessThan(order[2]!.at);
  });

  test('--parameters gives each required template parameter, names only declared ones, as text az passes on unchanged, and leaves repoUrl empty', () => {
    const { opts } = find('az', 'deployment', 'group', 'create');
    expect(one(opts, '--template-file')).toBe('azuredeploy.json');
    const declared = template.parameters ?? {};
    const given = new Map<string, string>();
    for (const entry of opts.get('--parameters') ?? []) {
      // az's KEY=VALUE form: split at the first "=", the key must be a template parameter.
      const eq = entry.indexOf('=');
      expect({ entry, isKeyValue: eq > 0 }).toEqual({ entry, isKeyValue: true });
      const [key, value] = [entry.slice(0, eq), entry.slice(eq + 1)];
      expect(Object.keys(declared)).toContain(key);
      expect(given.has(key)).toBe(false);
      given.set(key, value);
    }
    const required = Object.entries(declared).filter(([, p]) => !('defaultValue' in p)).map(([n]) => n);
    expect([...given.keys()]).toEqual(expect.arrayContaining(required));
    for (const [key, value] of given) {
      const p = declared[key]!;
      // az hands string and securestring values over as typed; other types would need JSON.
      expect({ key, type: p.type.toLowerCase() }).toEqual({ key, type: expect.stringMatching(/^(string|securestring)$/) });
      if (value.startsWith('$')) continue; // typed at the prompt
      if (p.minLength !== undefined) expect({ key, long: value.length >= p.minLength }).toEqual({ key, long: true });
      if (p.maxLength !== undefined) expect({ key, short: value.length <= p.maxLength }).toEqual({ key, short: true });
      if (p.allowedValues) expect(p.allowedValues).toContain(value);
    }
    expect(given.get('repoUrl')).toBe('');
    // The secret is typed, never written into the README.
    const secret = given.get('apiSecretKey')!;
    expect(secret).toMatch(/^\$\w+$/);
    expect(commands).toContainEqual(['read', '-rs', secret.slice(1)]);
    expect(parseEnv({ NODE_ENV: 'production', TENANT_ID: given.get('tenantId')!, API_SECRET_KEY: 'k'.repeat(8) }).tenantId).toBe(given.get('tenantId'));
  });

  test('with those values the template deploys no repository connection, prints the connector URL, and the zip goes to that app in that group', () => {
    const deployment = find('az', 'deployment', 'group', 'create').opts;
    const given = Object.fromEntries((deployment.get('--parameters') ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const ev = new Evaluator(template, { parameters: { ...given, apiSecretKey: randomBytes(18).toString('base64url') }, storageKey });
    expect(ev.deploys(sourceControl)).toBe(false);
    const query = /^properties\.outputs\.(\w+)\.value$/.exec(one(deployment, '--query'));
    expect(query && ev.value(template.outputs?.[query[1]!]?.value)).toBe(`https://${given.webAppName}.azurewebsites.net`);

    const group = find('az', 'group', 'create').opts;
    const zip = find('az', 'webapp', 'deploy').opts;
    expect(one(deployment, '--resource-group')).toBe(one(group, '--name'));
    expect(one(zip, '--resource-group')).toBe(one(group, '--name'));
    expect(one(zip, '--name')).toBe(given.webAppName);
    expect(one(zip, '--type')).toBe('zip');
    expect(one(zip, '--src-path')).toBe(PACKAGE_PATH);
  });
});
