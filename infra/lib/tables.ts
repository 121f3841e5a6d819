/**
 * thingcore's DynamoDB tables as thingcore's own code defines them: the definitions that
 * `thingcore init-tables --write-definitions localstack/init/tables` writes (a Rust test keeps
 * the committed files equal to what shared/aws/src/tables.rs says), read here so the CDK app,
 * LocalStack and `thingcore init-tables` create the very same tables.
 */
import * as fs from 'fs';
import * as path from 'path';

/** One table definition. */
export interface TableDefinition {
  /** The table's role, the suffix after the prefix: `registry`, `shadows`, `broker`. */
  readonly role: string;
  /** Partition key attribute name (type S). */
  readonly partitionKey: string;
  /** Sort key attribute name (type S). */
  readonly sortKey: string;
  /** The TTL attribute, on tables whose items expire. */
  readonly ttlAttribute?: string;
}

interface KeyElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}

/** The tables defined in `dir` (`{prefix}-{role}.json`, TTL in `{prefix}-{role}.ttl.json`). */
export function readTableDefinitions(dir: string, prefix = 'thingcore'): TableDefinition[] {
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.json') && !file.endsWith('.ttl.json'))
    .sort()
    .map((file) => {
      const definition = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      const name: string = definition.TableName;
      if (!name.startsWith(`${prefix}-`)) {
        throw new Error(`${file}: table ${name} does not start with ${prefix}-`);
      }
      const keys: KeyElement[] = definition.KeySchema;
      const key = (type: string) => {
        const found = keys.find((k) => k.KeyType === type)?.AttributeName;
        if (!found) {
          throw new Error(`${file}: no ${type} key`);
        }
        return found;
      };
      const ttlFile = path.join(dir, file.replace(/\.json$/, '.ttl.json'));
      const ttlAttribute = fs.existsSync(ttlFile)
        ? JSON.parse(fs.readFileSync(ttlFile, 'utf8')).TimeToLiveSpecification?.AttributeName
        : undefined;
      return {
        role: name.slice(prefix.length + 1),
        partitionKey: key('HASH'),
        sortKey: key('RANGE'),
        ttlAttribute,
      };
    });
}
