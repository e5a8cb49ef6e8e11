import type { Labels } from '../store/eventMetadata.js';

const LABEL_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
export const MAX_LABELS = 64;

/**
 * A version's labels as `Labels` says (a JSON object of at most 64 names to strings), or the error
 * `refuse` makes of what is wrong; `what` names the labels in its message. Shared by the query
 * parameter and the import of an export file, whose lines carry the labels they were saved with.
 */
export function checkLabels(value: unknown, what: string, refuse: (detail: string) => Error): Labels {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw refuse(`${what} must be a JSON object of label names to strings`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_LABELS) throw refuse(`${what} has ${entries.length} labels; at most ${MAX_LABELS}`);
  const labels: Labels = {};
  for (const [name, label] of entries) {
    if (!LABEL_NAME.test(name)) {
      throw refuse(`label name "${name.slice(0, 100)}" is not 1 to 64 characters of A-Z a-z 0-9 _ . : -`);
    }
    if (typeof label !== 'string') throw refuse(`label "${name}" must be a string`);
    labels[name] = label;
  }
  return labels;
}
