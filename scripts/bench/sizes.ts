/** How much each part of the benchmark does: the full run, and --quick (tiny, for the test suite). */
export interface Sizes {
  workloadStates: number | undefined;
  saveSeconds: number;
  rawSeconds: number;
  histories: number[];
  loadSamples: number;
  /** Versions of the chat session a random version is loaded from, against the upsert peer (section 7). */
  chatSessionVersions: number;
  historyVersions: number;
  historySamples: number;
  largeStateBytes: number;
  /** Elements of the array one tenant saves twice and diffs while another tenant is timed. */
  pauseArrayElements: number;
  /** Rows of the long lists the diff is timed on (section 5). */
  longListRows: number;
}

export const FULL: Sizes = {
  workloadStates: undefined,
  saveSeconds: 6,
  rawSeconds: 4,
  histories: [100, 10_000, 100_000],
  loadSamples: 400,
  chatSessionVersions: 1_500,
  historyVersions: 300,
  historySamples: 200,
  largeStateBytes: 500_000,
  pauseArrayElements: 2_000_000,
  longListRows: 5_000,
};

export const QUICK: Sizes = {
  workloadStates: 25,
  saveSeconds: 0.6,
  rawSeconds: 0.4,
  histories: [100, 1_000, 3_000],
  loadSamples: 40,
  chatSessionVersions: 120,
  historyVersions: 110,
  historySamples: 20,
  largeStateBytes: 100_000,
  pauseArrayElements: 200_000,
  longListRows: 1_000,
};
