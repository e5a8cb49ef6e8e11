import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { parse } from 'yaml';

const NOTICE = '// Generated from openapi.yaml by `npm run contract`: do not edit (test/unit/contract.test.ts checks it).\n';

/**
 * What is derived from openapi.yaml, the one source of the API's rules, by path from the project
 * root:
 *   src/contract/openapi.ts  the document as data, from which the server compiles its request
 *                            checks: a module, so the main thread and the worker threads import it
 *                            alike, src/core reads no file, and no YAML parser runs in the server;
 *   src/contract/types.ts    its TypeScript types (openapi-typescript), for the client and the routes.
 */
export async function generateContract(yamlText: string): Promise<Record<string, string>> {
  const document = parse(yamlText) as object;
  const types = astToString(await openapiTS(structuredClone(document) as Parameters<typeof openapiTS>[0]));
  return {
    'src/contract/openapi.ts': `${NOTICE}export const openapiDocument: unknown = ${JSON.stringify(document, null, 2)};\n`,
    'src/contract/types.ts': `${NOTICE}${COMMENT_HEADER}${types}`,
  };
}
