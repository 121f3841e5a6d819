/**
 * The thingcore stack: the DynamoDB tables, one Lambda function per crate in `functions/`
 * (cargo-lambda-cdk's RustFunction, built by `cargo lambda build` at synth), the HTTP API
 * (control plane, shadows, publish)
 * and, once the gateway function exists, the WebSocket API. Grants are per function and per
 * table, nothing on `*`.
 */
import * as path from 'path';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import { discoverFunctions, FunctionCrate } from './functions';
import { readTableDefinitions } from './tables';

/** The repository root, two levels above this file (infra/lib). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** What the stack is built from. Every field has a default that fits a clone's layout. */
export interface ThingcoreStackProps extends StackProps {
  /** The function crates (default: discovered in `functions/`). */
  readonly functions?: FunctionCrate[];
  /** Table definitions directory (default `localstack/init/tables`). */
  readonly tablesDir?: string;
  /** Table name prefix, as the functions' THINGCORE_TABLE_PREFIX (default `thingcore`). */
  readonly tablePrefix?: string;
  /** Days to keep each function's logs (default 30). */
  readonly logRetentionDays?: number;
  /** Lambda architecture, and the target `cargo lambda build` builds for (default arm64). */
  readonly architecture?: 'arm64' | 'x86_64';
}

/**
 * The Cargo profile the functions are built with: the same as scripts/lambda-build's, so that
 * after that script has run, synth's builds find everything fresh and only copy the binaries.
 */
export const LAMBDA_PROFILE = 'release-lambda';

/** Which tables each known function reads or writes; unknown functions get none. */
const TABLE_ACCESS: Record<string, { readWrite?: string[]; read?: string[] }> = {
  'registry-api': { readWrite: ['registry'] },
  'shadow-updater': { readWrite: ['shadows'] },
  'rules-evaluator': { read: ['registry'] },
  // The gateway runs the shadow updater and the rules engine in process on what it routes.
  gateway: { readWrite: ['broker', 'shadows'], read: ['registry'] },
  authorizer: { read: ['registry'] },
};

/** The stack; see the module comment. */
export class ThingcoreStack extends Stack {
  /** Tables by role (`registry`, `shadows`, `broker`). */
  public readonly tables: Record<string, dynamodb.Table> = {};
  /** Functions by crate name. */
  public readonly functions: Record<string, lambda.Function> = {};
  /** The HTTP API. */
  public readonly httpApi: apigwv2.HttpApi;
  /** The WebSocket API, when the gateway function exists. */
  public readonly webSocketApi?: apigwv2.WebSocketApi;

  constructor(scope: Construct, id: string, props: ThingcoreStackProps = {}) {
    super(scope, id, props);
    const crates = props.functions ?? discoverFunctions(path.join(REPO_ROOT, 'functions'));
    const prefix = props.tablePrefix ?? 'thingcore';
    const retention = props.logRetentionDays ?? 30;
    if (!Object.values(logs.RetentionDays).includes(retention)) {
      throw new Error(`logRetentionDays ${retention} is not a CloudWatch Logs retention`);
    }
    const architecture =
      props.architecture === 'x86_64' ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64;
    // Every build names all the function packages, as scripts/lambda-build does: Cargo unifies
    // features over the selected packages, so the same selection means the same artifacts.
    const packageFlags = crates.flatMap((crate) => ['--package', crate.name]);

    for (const table of readTableDefinitions(
      props.tablesDir ?? path.join(REPO_ROOT, 'localstack', 'init', 'tables'),
    )) {
      this.tables[table.role] = new dynamodb.Table(this, `Table-${table.role}`, {
        tableName: `${prefix}-${table.role}`,
        partitionKey: { name: table.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: table.sortKey, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: table.ttlAttribute,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }

    for (const crate of crates) {
      const logGroup = new logs.LogGroup(this, `Logs-${crate.name}`, {
        retention: retention as logs.RetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const fn = new RustFunction(this, `Fn-${crate.name}`, {
        description: `thingcore/${crate.name}: ${crate.description}`.slice(0, 256),
        manifestPath: path.join(REPO_ROOT, 'Cargo.toml'),
        binaryName: crate.name,
        architecture,
        bundling: {
          profile: LAMBDA_PROFILE,
          cargoLambdaFlags: ['--locked', ...packageFlags],
        },
        memorySize: 256,
        timeout: Duration.seconds(10),
        logGroup,
        environment: {
          THINGCORE_TABLE_PREFIX: prefix,
          THINGCORE_ACCOUNT_ID: Aws.ACCOUNT_ID,
          RUST_LOG: 'info',
        },
      });
      const access = TABLE_ACCESS[crate.name] ?? {};
      for (const role of access.readWrite ?? []) {
        this.table(role).grantReadWriteData(fn);
      }
      for (const role of access.read ?? []) {
        this.table(role).grantReadData(fn);
      }
      this.functions[crate.name] = fn;
    }

    const authorizerFn = this.functions['authorizer'];
    const gatewayFn = this.functions['gateway'];

    // HTTP API: the control plane on $default, the data plane on its own routes. Callers sign
    // with SigV4 (IAM) until the authorizer function exists; then it decides every request.
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${prefix}-http`,
      description: 'thingcore: the AWS IoT control plane, device shadows and HTTPS publish',
      defaultAuthorizer: authorizerFn
        ? new authorizers.HttpLambdaAuthorizer('HttpAuthorizer', authorizerFn, {
            responseTypes: [authorizers.HttpLambdaResponseType.IAM],
            identitySource: [],
            resultsCacheTtl: Duration.seconds(0),
          })
        : new authorizers.HttpIamAuthorizer(),
    });
    const route = (fn: lambda.Function | undefined, routePath: string, methods: apigwv2.HttpMethod[]) => {
      if (!fn) return;
      this.httpApi.addRoutes({
        path: routePath,
        methods,
        integration: new integrations.HttpLambdaIntegration(`Http-${fn.node.id}`, fn),
      });
    };
    const { GET, POST, DELETE, ANY } = apigwv2.HttpMethod;
    route(this.functions['registry-api'], '/{proxy+}', [ANY]);
    route(this.functions['shadow-updater'], '/things/{thingName}/shadow', [GET, POST, DELETE]);
    route(
      this.functions['shadow-updater'],
      '/api/things/shadow/ListNamedShadowsForThing/{thingName}',
      [GET],
    );
    route(gatewayFn, '/topics/{topic}', [POST]);
    route(gatewayFn, '/retainedMessage', [GET]);
    route(gatewayFn, '/retainedMessage/{topic}', [GET]);
    new CfnOutput(this, 'HttpApiUrl', {
      value: this.httpApi.apiEndpoint,
      description: 'The HTTP API: --endpoint-url for aws iot / aws iot-data',
    });

    // WebSocket API: only with the gateway function, $connect behind the authorizer.
    if (gatewayFn) {
      const connectAuthorizer = authorizerFn
        ? new authorizers.WebSocketLambdaAuthorizer('WsAuthorizer', authorizerFn, {
            identitySource: [],
          })
        : new authorizers.WebSocketIamAuthorizer();
      const wsIntegration = (name: string) =>
        new integrations.WebSocketLambdaIntegration(`Ws-${name}`, gatewayFn);
      this.webSocketApi = new apigwv2.WebSocketApi(this, 'WebSocketApi', {
        apiName: `${prefix}-websocket`,
        description: 'thingcore: the WebSocket gateway (JSON frames)',
        connectRouteOptions: {
          integration: wsIntegration('connect'),
          authorizer: connectAuthorizer,
        },
        disconnectRouteOptions: { integration: wsIntegration('disconnect') },
        defaultRouteOptions: { integration: wsIntegration('default') },
      });
      const stage = new apigwv2.WebSocketStage(this, 'WebSocketStage', {
        webSocketApi: this.webSocketApi,
        stageName: 'live',
        autoDeploy: true,
      });
      stage.grantManagementApiAccess(gatewayFn);
      gatewayFn.addEnvironment('THINGCORE_WEBSOCKET_ENDPOINT', stage.callbackUrl);
      if (authorizerFn) {
        // A session whose authorizer answered refreshAfterInSeconds is asked for again: the
        // gateway invokes the same function with the $connect request it authorized.
        authorizerFn.grantInvoke(gatewayFn);
        gatewayFn.addEnvironment('THINGCORE_AUTHORIZER_FUNCTION', authorizerFn.functionArn);
      }
      new CfnOutput(this, 'WebSocketUrl', {
        value: stage.url,
        description: 'The WebSocket gateway: wss:// URL for devices',
      });
    }

    const registryFn = this.functions['registry-api'];
    if (registryFn && authorizerFn) {
      // TestInvokeAuthorizer runs an authorizer's function through the Invoke API; the stack's
      // own authorizer is the one it can reach. Other functions need their own grant.
      authorizerFn.grantInvoke(registryFn);
    }
    if (registryFn) {
      const host = this.webSocketApi ?? this.httpApi;
      registryFn.addEnvironment(
        'THINGCORE_ENDPOINT_ADDRESS',
        `${host.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`,
      );
      // enableUrl of topic rule destinations' confirmation requests: this control plane.
      registryFn.addEnvironment('THINGCORE_CONTROL_ENDPOINT', this.httpApi.apiEndpoint);
      // The Jobs scheduler (rollout pacing, timeouts, retries, abort criteria, scheduled start
      // and end) runs one tick per EventBridge scheduled event, as `thingcore serve` runs one
      // every --jobs-tick-seconds. A tick that fails is not retried: the next one catches up.
      new events.Rule(this, 'JobsSchedulerTick', {
        description: 'thingcore: one tick of the Jobs scheduler a minute, run by registry-api',
        schedule: events.Schedule.rate(Duration.minutes(1)),
        targets: [new targets.LambdaFunction(registryFn, { retryAttempts: 0 })],
      });
    }
    for (const [role, table] of Object.entries(this.tables)) {
      new CfnOutput(this, `Table${role}`, { value: table.tableName });
    }
    for (const [name, fn] of Object.entries(this.functions)) {
      new CfnOutput(this, `Function${name.replace(/[^A-Za-z0-9]/g, '')}`, {
        value: fn.functionName,
      });
    }
  }

  private table(role: string): dynamodb.Table {
    const table = this.tables[role];
    if (!table) {
      throw new Error(`no ${role} table among the definitions`);
    }
    return table;
  }
}
