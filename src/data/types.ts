/**
 * A document as it flows between stages: JSONL with a `text` field, the Hugging Face datasets /
 * DataTrove convention. Every other field is carried through unchanged.
 */
export interface Doc {
  text: string;
  [field: string]: unknown;
}

/** A value read from a file with the 1-based line it started on, for error messages and reports. */
export interface Located<T> {
  value: T;
  line: number;
}

/** What one stage did: counts in and out, why documents were dropped, and stage-specific details. */
export interface StageReport {
  stage: string;
  docsIn: number;
  docsOut: number;
  /** Dropped documents by reason (e.g. `gopher_short_doc`, `exact_duplicate`). */
  dropped: Record<string, number>;
  charsIn: number;
  charsOut: number;
  /** Wall time spent inside this stage's per-document work. */
  seconds: number;
  details?: Record<string, unknown>;
}
