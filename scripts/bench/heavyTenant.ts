/**
 * The heavy tenant of section 6, in a process of its own so that building its large bodies and
 * reading its large answers never pauses the bystander's own timing: it saves two large arrays
 * and reads their diff, then prints how long that took. argv: base URL, token, elements.
 */
const [baseUrl, token, elementsArgument] = process.argv.slice(2);
const elements = Number(elementsArgument);
const big = (seed: number): Buffer => Buffer.from(`[${Array.from({ length: elements }, (_, i) => (i * seed) % 10).join(',')}]`);
const bodies = [big(1), big(3)];
const auth = { authorization: `Bearer ${token}` };

async function drain(response: Response, what: string): Promise<void> {
  if (response.status >= 300) throw new Error(`${what}: HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  // Read the answer without decoding it: a 70 MB patch as a string would be work of our own.
  for await (const chunk of response.body!) void chunk;
}

// Ready: the parent starts timing the bystander on this line.
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const started = performance.now();
for (const body of bodies) {
  await drain(await fetch(`${baseUrl}/v1/sessions/large/state`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body }), 'large save');
}
await drain(await fetch(`${baseUrl}/v1/sessions/large/diff?from=1&to=2`, { headers: auth }), 'large diff');
process.stdout.write(`${performance.now() - started}\n`);
process.stdin.destroy();
