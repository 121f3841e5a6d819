#!/usr/bin/env node
/**
 * The CDK app: one ThingcoreStack. Context values (`-c key=value` or cdk.json):
 * `lambdaDir` (zips from scripts/lambda-build, relative to infra/), `tablePrefix`,
 * `logRetentionDays`, `stackName`.
 */
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { ThingcoreStack } from '../lib/thingcore-stack';

const app = new App();
const context = (key: string): string | undefined => app.node.tryGetContext(key)?.toString();
const lambdaDir = context('lambdaDir');
const retention = context('logRetentionDays');

new ThingcoreStack(app, context('stackName') ?? 'Thingcore', {
  lambdaDir: lambdaDir ? path.resolve(lambdaDir) : undefined,
  tablePrefix: context('tablePrefix'),
  logRetentionDays: retention ? Number(retention) : undefined,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
