#!/usr/bin/env node
/**
 * The CDK app: one ThingcoreStack. Context values (`-c key=value` or cdk.json):
 * `architecture` (arm64 or x86_64), `tablePrefix`, `logRetentionDays`, `stackName`.
 *
 * Synth builds the functions with `cargo lambda build` (cargo-lambda-cdk's RustFunction). When
 * `cargo lambda` is not on PATH, the clone's virtualenv, where scripts/lambda-build installs
 * cargo-lambda and zig, is put there, so a clone needs nothing else installed.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { REPO_ROOT, ThingcoreStack } from '../lib/thingcore-stack';

const app = new App();
const context = (key: string): string | undefined => app.node.tryGetContext(key)?.toString();

const hasCargoLambda = () => spawnSync('cargo', ['lambda', '--version']).status === 0;
const venvBin = path.join(REPO_ROOT, '.venv', 'bin');
if (!hasCargoLambda() && fs.existsSync(venvBin)) {
  process.env.PATH = `${venvBin}${path.delimiter}${process.env.PATH ?? ''}`;
}
const bundlingStacks = app.node.tryGetContext('aws:cdk:bundling-stacks');
const bundles = !(Array.isArray(bundlingStacks) && bundlingStacks.length === 0);
if (bundles && !hasCargoLambda()) {
  process.stderr.write(
    'cargo lambda is not installed: run ./scripts/lambda-build once (it installs cargo-lambda ' +
      'and zig into .venv), or `pip install cargo-lambda`; otherwise the build needs Docker.\n',
  );
}

const architecture = context('architecture');
if (architecture !== undefined && architecture !== 'arm64' && architecture !== 'x86_64') {
  throw new Error(`architecture ${architecture}: expected arm64 or x86_64`);
}
const retention = context('logRetentionDays');

new ThingcoreStack(app, context('stackName') ?? 'Thingcore', {
  architecture,
  tablePrefix: context('tablePrefix'),
  logRetentionDays: retention ? Number(retention) : undefined,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
