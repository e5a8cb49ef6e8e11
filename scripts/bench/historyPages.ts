/** 4. History pages of 100 entries for small and large states, taken in turns: a page reads no state bodies. */
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log.js';
import { importStates } from '../../src/sessions/importStates.js';
import { interleaved, latency, round, type Latency } from './measure.js';
import type { Sizes } from './sizes.js';
import { expectOk, startSubject, TENANT, type Bench } from './subject.js';

export async function historyPages(bench: Bench, sizes: Sizes) {
  const subject = await startSubject(bench, 'bench_history');
  try {
    const app = createApp({ pool: subject.pool, config: loadConfig(), logger: silentLogger });
    const results: Array<{ state: string; state_bytes: number; page_of_100: Latency }> = [];
    for (const [label, bytes] of [['small', 2_000], ['large', sizes.largeStateBytes]] as const) {
      const sid = `history-${label}`;
      const filler = 'x'.repeat(bytes);
      bench.log(`history pages: ${label} states (${bytes} B)`);
      await importStates(app.store, TENANT, sid, (function* () {
        for (let i = 0; i < sizes.historyVersions; i++) yield { i, filler, changed: `v${i}` };
      })(), 100);
      await expectOk(await subject.get(`/v1/sessions/${sid}/history?limit=100`), 'warm');
    }
    const pages = await interleaved(sizes.historySamples, {
      small: async () => {
        await expectOk(await subject.get('/v1/sessions/history-small/history?limit=100'), 'history page');
      },
      large: async () => {
        await expectOk(await subject.get('/v1/sessions/history-large/history?limit=100'), 'history page');
      },
    });
    results.push({ state: 'small', state_bytes: 2_000, page_of_100: latency(pages.small) });
    results.push({ state: 'large', state_bytes: sizes.largeStateBytes, page_of_100: latency(pages.large) });
    return { by_state_size: results, ratio_p50_large_to_small: round(results[1]!.page_of_100.p50_ms / results[0]!.page_of_100.p50_ms, 2) };
  } finally {
    await subject.close();
  }
}
