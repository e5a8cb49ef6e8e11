/**
 * 7. Loads against the bare upsert service (issue 12's peer, upsertPeer.ts, a process of its own on
 * the same MariaDB, read by the same client), samples taken in shuffled turns: the latest state of
 * a ~1 KB session and of a chat session, and a random version of a chat session of
 * `chatSessionVersions` versions (the chat workload's states over and over) against the peer's
 * load of that same state.
 */
import type { Workload } from '../lib/workloads.js';
import { interleaved, latency, round } from './measure.js';
import { chatSessionStates, smallStates, startPeer } from './peer.js';
import type { Sizes } from './sizes.js';
import { expectOk, startSubject, type Bench } from './subject.js';

export async function peerLoads(bench: Bench, chat: Workload, sizes: Sizes) {
  const subject = await startSubject(bench, 'bench_peer_loads');
  const peer = await startPeer(bench, 'bench_peer_loads_peer');
  try {
    const small = smallStates(0)(1);
    await expectOk(await subject.put('small', small), 'save');
    await expectOk(await peer.put('small', small), 'peer save');
    const states = chatSessionStates(chat, sizes.chatSessionVersions);
    bench.log(`loads vs the upsert peer: saving a chat session of ${states.length} versions`);
    for (const state of states) await expectOk(await subject.put('chat', state), 'save');
    // The peer holds each distinct state of the session under its own id, to load the same bytes.
    const distinct = Math.min(states.length, chat.lines.length);
    for (let k = 0; k < distinct; k++) await expectOk(await peer.put(`chat-state-${k}`, states[k]!), 'peer save');
    await expectOk(await peer.put('chat', states.at(-1)!), 'peer save');
    const stateOf = (version: number): number => (version - 1) % distinct;

    bench.log('loads vs the upsert peer: measuring');
    const versions = Array.from({ length: sizes.loadSamples }, () => 1 + Math.floor(Math.random() * states.length));
    let ourTurn = 0;
    let peerTurn = 0;
    const samples = await interleaved(sizes.loadSamples, {
      latestSmall: async () => {
        await expectOk(await subject.get('/v1/sessions/small/state'), 'load');
      },
      peerLatestSmall: async () => {
        await expectOk(await peer.get('small'), 'peer load');
      },
      latestChat: async () => {
        await expectOk(await subject.get('/v1/sessions/chat/state'), 'load');
      },
      peerLatestChat: async () => {
        await expectOk(await peer.get('chat'), 'peer load');
      },
      randomVersion: async () => {
        await expectOk(await subject.get(`/v1/sessions/chat/state?version=${versions[ourTurn++]!}`), 'load version');
      },
      peerSameState: async () => {
        await expectOk(await peer.get(`chat-state-${stateOf(versions[peerTurn++]!)}`), 'peer load');
      },
    });
    const figures = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, latency(values)])) as Record<keyof typeof samples, ReturnType<typeof latency>>;
    return {
      chat_session_versions: states.length,
      small_state_bytes: Buffer.byteLength(small),
      chat_head_state_bytes: Buffer.byteLength(states.at(-1)!),
      latest_small: figures.latestSmall,
      peer_latest_small: figures.peerLatestSmall,
      latest_chat: figures.latestChat,
      peer_latest_chat: figures.peerLatestChat,
      random_version: figures.randomVersion,
      peer_latest_same_state: figures.peerSameState,
      ratio_latest_small_p50_to_peer: round(figures.latestSmall.p50_ms / figures.peerLatestSmall.p50_ms, 2),
      ratio_latest_chat_p50_to_peer: round(figures.latestChat.p50_ms / figures.peerLatestChat.p50_ms, 2),
      ratio_random_version_p50_to_peer_latest: round(figures.randomVersion.p50_ms / figures.peerSameState.p50_ms, 2),
    };
  } finally {
    await peer.close();
    await subject.close();
  }
}
