/**
 * The Lambda functions of thingcore as this app finds them: every crate in `functions/` that
 * has a `src/main.rs` (the same rule as scripts/lambda-build). Each crate's binary has the
 * crate's name, which is what RustFunction builds.
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
