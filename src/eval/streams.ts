/** Shape checks shared by the corpus metrics that take sacrebleu-style reference streams. */
import { check } from '../errors.js';

/** `refStreams[k][i]` is reference k of hypothesis i; every stream must cover every hypothesis. */
export function checkRefStreams(
  metric: string,
  hyps: readonly string[],
  refStreams: ReadonlyArray<ReadonlyArray<string | null>>,
): void {
  check(
    refStreams.length > 0,
    'LLMK_E_ARG',
    () => `${metric} needs at least one reference stream`,
    'pass references as [stream1, stream2, ...], each with one string per hypothesis',
  );
  for (let k = 0; k < refStreams.length; k++) {
    check(
      refStreams[k].length === hyps.length,
      'LLMK_E_DATA',
      () =>
        `${metric}: reference stream ${k + 1} has ${refStreams[k].length} segments but there are ${hyps.length} hypotheses`,
      'every reference stream needs exactly one line per hypothesis',
    );
  }
}
