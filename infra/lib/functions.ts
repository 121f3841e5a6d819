/**
 * The Lambda functions of thingcore as this app finds them: every crate in `functions/` that
 * has a `src/main.rs` (the same rule as scripts/lambda-build), with the zip that
 * `scripts/lambda-build` made for it in `target/lambda/{crate}/bootstrap.zip`.
 */
import * as fs from 'fs';
import * as path from 'path';

/** One function crate. */
export interface FunctionCrate {
  /** The crate (and binary) name, e.g. `registry-api`. */
  readonly name: string;
  /** The crate's `description` from its Cargo.toml, if any. */
  readonly description: string;
}

/** The crates in `functionsDir` that are Lambda functions, sorted by name. */
export function discoverFunctions(functionsDir: string): FunctionCrate[] {
  if (!fs.existsSync(functionsDir)) {
    throw new Error(`no functions directory at ${functionsDir}`);
  }
  return fs
    .readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(functionsDir, entry.name))
    .filter((dir) => fs.existsSync(path.join(dir, 'src', 'main.rs')))
    .map((dir) => readCrate(path.join(dir, 'Cargo.toml')))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function readCrate(manifest: string): FunctionCrate {
  const text = fs.readFileSync(manifest, 'utf8');
  const name = /^name\s*=\s*"([^"]+)"/m.exec(text)?.[1];
  if (!name) {
    throw new Error(`${manifest} names no package`);
  }
  const description = /^description\s*=\s*"([^"]*)"/m.exec(text)?.[1] ?? '';
  return { name, description };
}

/**
 * The zip of `crate` under `lambdaDir`.
 *
 * @throws when it is missing: the zips come from `scripts/lambda-build`.
 */
export function zipOf(lambdaDir: string, crate: string): string {
  const zip = path.join(lambdaDir, crate, 'bootstrap.zip');
  if (!fs.existsSync(zip)) {
    throw new Error(
      `${zip} is missing: run ./scripts/lambda-build first (or pass -c lambdaDir=DIR)`,
    );
  }
  return zip;
}

/**
 * The architecture the zips were built for, as scripts/lambda-build records it in
 * `{lambdaDir}/ARCHITECTURE`; arm64 when there is no record.
 */
export function builtArchitecture(lambdaDir: string): 'arm64' | 'x86_64' {
  const record = path.join(lambdaDir, 'ARCHITECTURE');
  if (!fs.existsSync(record)) {
    return 'arm64';
  }
  const value = fs.readFileSync(record, 'utf8').trim();
  if (value !== 'arm64' && value !== 'x86_64') {
    throw new Error(`${record} says ${value}; expected arm64 or x86_64`);
  }
  return value;
}
