/**
 * The synthesized template of the thingcore stack: every function, every route, every table,
 * and least privilege. Bundling is skipped, so these tests need no Rust build; `cdk synth` in
 * scripts/test builds the real functions.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { discoverFunctions, FunctionCrate } from '../lib/functions';
import { readTableDefinitions } from '../lib/tables';
import { REPO_ROOT, ThingcoreStack, ThingcoreStackProps } from '../lib/thingcore-stack';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The stack's template without building Rust: the standard `aws:cdk:bundling-stacks` context
 * set to no stack skips RustFunction's `cargo lambda build` (the build is in rust-build.test.ts).
 */
function synth(props: ThingcoreStackProps & { crates?: string[] } = {}): Template {
  const functions =
    props.functions ?? discoverFunctions(path.join(REPO_ROOT, 'functions'));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ThingcoreStack(app, 'Test', { ...props, functions });
  return Template.fromStack(stack);
}

/** The crates in functions/ with a src/main.rs, found here independently of the app. */
function cratesWithMain(): string[] {
  const dir = path.join(REPO_ROOT, 'functions');
  return fs
    .readdirSync(dir)
    .filter((name) => fs.existsSync(path.join(dir, name, 'src', 'main.rs')))
    .map((name) => {
      const manifest = fs.readFileSync(path.join(dir, name, 'Cargo.toml'), 'utf8');
      return /^name\s*=\s*"([^"]+)"/m.exec(manifest)?.[1] ?? name;
    });
}

/** The Lambda function resources, keyed by crate (from their description). */
function lambdasByCrate(template: Template): Record<string, Json> {
  const found: Record<string, Json> = {};
  for (const resource of Object.values(template.findResources('AWS::Lambda::Function'))) {
    const crate = /^thingcore\/([^:]+):/.exec(resource.Properties.Description ?? '')?.[1];
    if (crate) found[crate] = resource;
  }
  return found;
}

/** Every statement of every IAM policy in the template (inline policies and AWS::IAM::Policy). */
function statements(template: Template): Json[] {
  const all: Json[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    all.push(...policy.Properties.PolicyDocument.Statement);
  }
  for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const policy of role.Properties.Policies ?? []) {
      all.push(...policy.PolicyDocument.Statement);
    }
  }
  return all;
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** The statements of the policy attached to `crate`'s role. */
function statementsOf(template: Template, crate: string): Json[] {
  const fn = lambdasByCrate(template)[crate];
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => list(p.Properties.Roles).some((r: any) => r.Ref === roleId)) // eslint-disable-line @typescript-eslint/no-explicit-any
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const ALL_FIVE: FunctionCrate[] = ['authorizer', 'gateway', 'registry-api', 'rules-evaluator', 'shadow-updater'].map(
  (name) => ({ name, description: `the ${name} function` }),
);

describe('functions', () => {
  test('every crate in functions/ with a src/main.rs has a Lambda function', () => {
    const crates = cratesWithMain();
    expect(crates.length).toBeGreaterThanOrEqual(3);
    const lambdas = lambdasByCrate(synth());
    expect(Object.keys(lambdas).sort()).toEqual([...crates].sort());
    for (const fn of Object.values(lambdas)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'provided.al2023',
        Handler: 'bootstrap',
        Architectures: ['arm64'],
        Environment: { Variables: { THINGCORE_TABLE_PREFIX: 'thingcore' } },
      });
    }
  });

  test('each function logs to its own log group with a retention', () => {
    const template = synth({ logRetentionDays: 14 });
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups)).toHaveLength(cratesWithMain().length);
    for (const group of Object.values(groups)) {
      expect(group.Properties.RetentionInDays).toBe(14);
    }
    for (const fn of Object.values(lambdasByCrate(template))) {
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
    }
  });

  test('x86_64 is declared when asked for', () => {
    const template = synth({ architecture: 'x86_64' });
    for (const fn of Object.values(lambdasByCrate(template))) {
      expect(fn.Properties.Architectures).toEqual(['x86_64']);
    }
  });

  test('a retention CloudWatch does not offer is refused', () => {
    expect(() => synth({ logRetentionDays: 31 })).toThrow(/logRetentionDays 31/);
  });
});

describe('tables', () => {
  test('the tables are the ones thingcore init-tables defines', () => {
    const template = synth();
    const definitions = readTableDefinitions(path.join(REPO_ROOT, 'localstack', 'init', 'tables'));
    expect(definitions.map((d) => d.role).sort()).toEqual(['broker', 'registry', 'shadows']);
    template.resourceCountIs('AWS::DynamoDB::Table', definitions.length);
    for (const table of definitions) {
      template.hasResource('AWS::DynamoDB::Table', {
        Properties: {
          TableName: `thingcore-${table.role}`,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: table.ttlAttribute
            ? { AttributeName: table.ttlAttribute, Enabled: true }
            : Match.absent(),
        },
        DeletionPolicy: 'Retain',
      });
    }
    expect(definitions.find((d) => d.role === 'broker')?.ttlAttribute).toBe('exp');
  });

  test('the prefix names the tables and reaches the functions', () => {
    const template = synth({ tablePrefix: 'dev' });
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'dev-registry' });
    for (const fn of Object.values(lambdasByCrate(template))) {
      expect(fn.Properties.Environment.Variables.THINGCORE_TABLE_PREFIX).toBe('dev');
    }
  });
});

describe('HTTP API', () => {
  test('control plane on /{proxy+}, shadows on their routes, SigV4 without an authorizer', () => {
    // Without functions/gateway and functions/authorizer: no WebSocket API, IAM on every route.
    const template = synth({
      functions: ALL_FIVE.filter((f) => f.name !== 'gateway' && f.name !== 'authorizer'),
    });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties,
    );
    const keys = routes.map((r) => r.RouteKey).sort();
    expect(keys).toEqual(
      expect.arrayContaining([
        'ANY /{proxy+}',
        'GET /things/{thingName}/shadow',
        'POST /things/{thingName}/shadow',
        'DELETE /things/{thingName}/shadow',
        'GET /api/things/shadow/ListNamedShadowsForThing/{thingName}',
      ]),
    );
    for (const route of routes) {
      expect(route.AuthorizationType).toBe('AWS_IAM');
    }
    expect(template.findResources('AWS::ApiGatewayV2::Api', {
      Properties: { ProtocolType: 'WEBSOCKET' },
    })).toEqual({});
    template.hasOutput('HttpApiUrl', {});
  });
});

describe('with the gateway and authorizer functions', () => {
  const template = synth({ functions: ALL_FIVE });

  test('the WebSocket API routes $connect (authorized), $disconnect and $default', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$disconnect' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
    });
    template.hasOutput('WebSocketUrl', {});
  });

  test('HTTP publish and retained routes go to the gateway, every route via the authorizer', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties,
    );
    const keys = routes.map((r) => r.RouteKey);
    expect(keys).toEqual(
      expect.arrayContaining([
        'POST /topics/{topic}',
        'GET /retainedMessage',
        'GET /retainedMessage/{topic}',
      ]),
    );
    for (const route of routes.filter((r) => r.RouteKey !== '$disconnect' && r.RouteKey !== '$default')) {
      expect(route.AuthorizationType).toBe('CUSTOM');
    }
  });

  test('the gateway may post to its stage\'s connections and knows the endpoint', () => {
    const gateway = statementsOf(template, 'gateway');
    const manage = gateway.filter((s) => list(s.Action).includes('execute-api:ManageConnections'));
    expect(manage).toHaveLength(1);
    expect(JSON.stringify(manage[0].Resource)).toMatch(/WebSocketApi.*\/live\/\*\/@connections\/\*/);
    // Its one lambda:InvokeFunction is the authorizer's (see 'least privilege').
    const env = lambdasByCrate(template)['gateway'].Properties.Environment.Variables;
    expect(env.THINGCORE_WEBSOCKET_ENDPOINT).toBeDefined();
  });

  test('registry-api knows its own HTTP API (enableUrl of destination confirmations)', () => {
    const env = lambdasByCrate(template)['registry-api'].Properties.Environment.Variables;
    expect(JSON.stringify(env.THINGCORE_CONTROL_ENDPOINT)).toMatch(/HttpApi/);
  });

  test('an EventBridge rule ticks the Jobs scheduler in registry-api every minute', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    const rule = rules[0].Properties;
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.State).toBe('ENABLED');
    expect(rule.Targets).toHaveLength(1);
    expect(JSON.stringify(rule.Targets[0].Arn)).toMatch(/Fnregistryapi/);
    expect(rule.Targets[0].Input).toBeUndefined(); // the scheduled event itself, as registry-api expects
    // EventBridge may invoke registry-api, and only from this rule.
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => p.Properties.Principal === 'events.amazonaws.com',
    );
    expect(permissions).toHaveLength(1);
    expect(JSON.stringify(permissions[0].Properties.FunctionName)).toMatch(/Fnregistryapi/);
    expect(JSON.stringify(permissions[0].Properties.SourceArn)).toMatch(/JobsSchedulerTick/);
  });

  test('the gateway knows the authorizer function, to refresh sessions', () => {
    const env = lambdasByCrate(template)['gateway'].Properties.Environment.Variables;
    expect(JSON.stringify(env.THINGCORE_AUTHORIZER_FUNCTION)).toMatch(/Fnauthorizer/);
  });
});

describe('least privilege', () => {
  const template = synth({ functions: ALL_FIVE });

  test('no statement allows every action on every resource', () => {
    const all = statements(template);
    expect(all.length).toBeGreaterThan(0);
    for (const statement of all) {
      const actions = list(statement.Action);
      const resources = list(statement.Resource);
      const wildAction = actions.some((a) => a === '*' || (typeof a === 'string' && a.endsWith(':*')));
      expect(wildAction && resources.includes('*')).toBe(false);
      expect(actions).not.toContain('*');
    }
  });

  test('no statement of a function reaches a resource "*"', () => {
    for (const crate of Object.keys(lambdasByCrate(template))) {
      for (const statement of statementsOf(template, crate)) {
        expect(list(statement.Resource)).not.toContain('*');
      }
    }
  });

  test('readers cannot write, and each function touches only its own tables', () => {
    const writes = (crate: string) =>
      statementsOf(template, crate)
        .flatMap((s) => list(s.Action))
        .filter((a) => a === 'dynamodb:PutItem');
    expect(writes('rules-evaluator')).toEqual([]);
    expect(writes('authorizer')).toEqual([]);
    expect(writes('registry-api')).not.toEqual([]);

    const tableRefs = (crate: string) =>
      JSON.stringify(statementsOf(template, crate).filter((s) => list(s.Action).some((a) => String(a).startsWith('dynamodb:'))));
    expect(tableRefs('shadow-updater')).toMatch(/Tableshadows/);
    expect(tableRefs('shadow-updater')).not.toMatch(/Tableregistry|Tablebroker/);
    // The gateway runs shadows and rules in process: broker and shadows, registry read-only.
    expect(tableRefs('gateway')).toMatch(/Tablebroker/);
    expect(tableRefs('gateway')).toMatch(/Tableshadows/);
    const gatewayWrites = statementsOf(template, 'gateway').filter((s) =>
      list(s.Action).includes('dynamodb:PutItem'),
    );
    expect(JSON.stringify(gatewayWrites)).not.toMatch(/Tableregistry/);
  });

  test('registry-api (TestInvokeAuthorizer) and the gateway (session refresh) may invoke the stack\'s authorizer, nothing else', () => {
    for (const crate of ['registry-api', 'gateway']) {
      const invokes = statementsOf(template, crate).filter((s) =>
        list(s.Action).includes('lambda:InvokeFunction'),
      );
      expect(invokes).toHaveLength(1);
      const resources = JSON.stringify(invokes[0].Resource);
      expect(resources).toMatch(/Fnauthorizer/);
      expect(resources).not.toMatch(/Fngateway|Fnregistry|Fnrules|Fnshadow/);
    }
    for (const crate of ['rules-evaluator', 'shadow-updater', 'authorizer']) {
      expect(statementsOf(template, crate).flatMap((s) => list(s.Action))).not.toContain(
        'lambda:InvokeFunction',
      );
    }
  });

});
