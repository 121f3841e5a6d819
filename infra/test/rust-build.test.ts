/**
 * What synth runs to build the functions: RustFunction's `cargo lambda build`, answered here by
 * a stand-in `cargo` on PATH that records its arguments and leaves a `bootstrap`, so the test
 * needs no Rust toolchain. The app runs in a child process, as under `cdk synth`: the check
 * for `cargo lambda` spawns with the real environment, which jest's sandbox cannot change. The command must select the same packages, profile and target as
 * scripts/lambda-build does; otherwise synth after that script would build everything again.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { discoverFunctions } from '../lib/functions';
import { LAMBDA_PROFILE, REPO_ROOT } from '../lib/thingcore-stack';

const fakeBin = fs.mkdtempSync(path.join(os.tmpdir(), 'thingcore-fake-cargo-'));
const log = path.join(fakeBin, 'calls.log');
fs.writeFileSync(
  path.join(fakeBin, 'cargo'),
  `#!/bin/sh
echo "$*" >> "${log}"
if [ "$1 $2" = "lambda --version" ]; then echo "cargo-lambda 0.0.0 (stand-in)"; exit 0; fi
dir=
while [ $# -gt 0 ]; do
  if [ "$1" = "--lambda-dir" ]; then dir="$2"; fi
  shift
done
[ -n "$dir" ] || { echo "no --lambda-dir" >&2; exit 2; }
mkdir -p "$dir" && echo stand-in > "$dir/bootstrap"
`,
  { mode: 0o755 },
);

/**
 * Runs the app (bin/thingcore.ts, as `cdk synth` does) with the stand-in `cargo` first on PATH;
 * returns the synthesized template.
 */
function synthApp(context: Record<string, string> = {}): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  fs.rmSync(log, { force: true });
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'thingcore-cdk-out-'));
  const run = spawnSync(
    process.execPath,
    [require.resolve('ts-node/dist/bin.js'), '--transpile-only', path.join('bin', 'thingcore.ts')],
    {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${fakeBin}${path.delimiter}${process.env.PATH ?? ''}`,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ stackName: 'Build', ...context }),
      },
    },
  );
  if (run.status !== 0) {
    throw new Error(`the app failed (${run.status}): ${run.stderr}`);
  }
  return JSON.parse(fs.readFileSync(path.join(outdir, 'Build.template.json'), 'utf8'));
}

/** The `cargo lambda build` calls recorded so far, as argument lists. */
function builds(): string[][] {
  if (!fs.existsSync(log)) return [];
  return fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('lambda build '))
    .map((line) => line.split(' '));
}

/** The value after `flag` in `args`, and every value of a repeated flag. */
const valueOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
const valuesOf = (args: string[], flag: string) =>
  args.flatMap((arg, i) => (arg === flag ? [args[i + 1]] : []));

describe('the Rust build at synth', () => {
  const functions = discoverFunctions(path.join(REPO_ROOT, 'functions'));
  const template = synthApp();
  const calls = builds();

  test('each function is built once, by name, and deployed from what the build left', () => {
    expect(calls.map((args) => valueOf(args, '--bin')).sort()).toEqual(
      functions.map((f) => f.name).sort(),
    );
    const lambdas = Object.values(template.Resources).filter(
      (r: any) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'bootstrap', // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    expect(lambdas.length).toBe(functions.length);
    for (const fn of lambdas as any[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(fn.Properties.Code.S3Key).toMatch(/\.zip$/);
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
  });

  test('every build has scripts/lambda-build\'s profile, target and package selection', () => {
    const script = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'lambda-build'), 'utf8');
    expect(script).toContain(`--profile ${LAMBDA_PROFILE}`);
    expect(script).toContain('--locked');
    expect(calls).toHaveLength(functions.length);
    for (const args of calls) {
      expect(valueOf(args, '--profile')).toBe(LAMBDA_PROFILE);
      expect(args).toContain('--arm64');
      expect(args).toContain('--locked');
      expect(valuesOf(args, '--package').sort()).toEqual(functions.map((f) => f.name).sort());
    }
  });

  test('-c architecture=x86_64 builds for x86_64 and declares it', () => {
    const x86 = synthApp({ architecture: 'x86_64' });
    const x86Calls = builds();
    expect(x86Calls).toHaveLength(functions.length);
    for (const args of x86Calls) {
      expect(args).toContain('--x86-64');
      expect(args).not.toContain('--arm64');
    }
    for (const r of Object.values(x86.Resources) as any[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
      if (r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'bootstrap') {
        expect(r.Properties.Architectures).toEqual(['x86_64']);
      }
    }
  });

  test('an architecture Lambda does not have is refused', () => {
    expect(() => synthApp({ architecture: 'sparc' })).toThrow(/architecture sparc/);
  });
});
