/**
 * The per-document stages (clean, filter, dedup, mask) behind one small interface, each counting
 * what came in, what went out and why documents were dropped.
 */
import { type CleanOptions, cleanText, DEFAULT_CLEAN } from './clean.js';
import {
  DEFAULT_MINHASH,
  Deduplicator,
  type DedupOptions,
  type DuplicateCluster,
  type MinHashOptions,
} from './dedup.js';
import {
  DEFAULT_QUALITY,
  DEFAULT_REPETITION,
  gopherQuality,
  gopherRepetition,
  type QualityOptions,
  type RepetitionOptions,
  splitWords,
} from './filters.js';
import { maskPii, PII_TYPES, type PiiType } from './pii.js';
import type { Doc, StageReport } from './types.js';

export interface CleanStageConfig extends Partial<CleanOptions> {
  stage: 'clean';
}
export interface FilterStageConfig {
  stage: 'filter';
  /** Gopher quality thresholds, or false to skip the quality rules. */
  quality?: Partial<QualityOptions> | false;
  /** Gopher repetition thresholds, or false to skip the repetition rules. */
  repetition?: Partial<RepetitionOptions> | false;
}
export interface DedupStageConfig {
  stage: 'dedup';
  exact?: boolean;
  minhash?: Partial<MinHashOptions> | false;
  /** How many of the largest clusters to list in the report (default 20). */
  reportClusters?: number;
}
export interface MaskStageConfig {
  stage: 'mask';
  types?: PiiType[];
}
export type DocStageConfig = CleanStageConfig | FilterStageConfig | DedupStageConfig | MaskStageConfig;

/** A stage's verdict on one document: the (possibly rewritten) document, or the reason to drop it. */
export type StageResult = Doc | string;

export abstract class DocStage {
  readonly report: StageReport;

  constructor(name: string) {
    this.report = { stage: name, docsIn: 0, docsOut: 0, dropped: {}, charsIn: 0, charsOut: 0, seconds: 0 };
  }

  protected abstract process(doc: Doc, line: number): StageResult;

  /** Runs the stage on one document and updates the counts; returns null when dropped. */
  apply(doc: Doc, line: number): Doc | null {
    const t = performance.now();
    const r = this.report;
    r.docsIn++;
    r.charsIn += doc.text.length;
    const out = this.process(doc, line);
    r.seconds += (performance.now() - t) / 1000;
    if (typeof out === 'string') {
      r.dropped[out] = (r.dropped[out] ?? 0) + 1;
      return null;
    }
    r.docsOut++;
    r.charsOut += out.text.length;
    return out;
  }

  /** Final details for the report (called once at the end). */
  finish(): StageReport {
    return this.report;
  }
}

export class CleanStage extends DocStage {
  readonly options: CleanOptions;
  constructor(options: Partial<CleanOptions> = {}) {
    super('clean');
    this.options = { ...DEFAULT_CLEAN, ...options };
  }
  protected process(doc: Doc): StageResult {
    const text = cleanText(doc.text, this.options);
    return text === '' ? 'empty_after_clean' : { ...doc, text };
  }
}

export class FilterStage extends DocStage {
  readonly quality: QualityOptions | false;
  readonly repetition: RepetitionOptions | false;
  constructor(config: Omit<FilterStageConfig, 'stage'> = {}) {
    super('filter');
    this.quality = config.quality === false ? false : { ...DEFAULT_QUALITY, ...config.quality };
    this.repetition = config.repetition === false ? false : { ...DEFAULT_REPETITION, ...config.repetition };
  }
  protected process(doc: Doc): StageResult {
    if (doc.text.trim() === '') return 'empty';
    // Split the text into words once for both rule sets.
    const cjkFraction = this.quality ? this.quality.cjkFraction : DEFAULT_QUALITY.cjkFraction;
    const split = splitWords(doc.text, cjkFraction);
    const verdict =
      (this.quality ? gopherQuality(doc.text, this.quality, split) : null) ??
      (this.repetition ? gopherRepetition(doc.text, this.repetition, cjkFraction, split) : null);

    return verdict ?? doc;
  }
}

export class DedupStage extends DocStage {
  readonly dedup: Deduplicator;
  private readonly reportClusters: number;
  constructor(config: Omit<DedupStageConfig, 'stage'> = {}) {
    super('dedup');
    const options: Partial<DedupOptions> = {
      exact: config.exact ?? true,
      minhash: config.minhash === false ? false : { ...DEFAULT_MINHASH, ...config.minhash },
    };
    this.dedup = new Deduplicator(options);
    this.reportClusters = config.reportClusters ?? 20;
  }
  protected process(doc: Doc, line: number): StageResult {
    const hit = this.dedup.check(doc.text, line);
    return hit ? hit.kind : doc;
  }
  /** Every cluster with more than one member (first member kept). */
  clusters(): DuplicateCluster[] {
    return this.dedup.clusters();
  }
  override finish(): StageReport {
    const clusters = this.clusters();
    this.report.details = {
      options: this.dedup.options,
      clusters: clusters.length,
      docsInClusters: clusters.reduce((n, c) => n + c.members.length, 0),
      largestClusters: clusters
        .slice(0, this.reportClusters)
        .map((c) => ({ size: c.members.length, lines: c.lines.slice(0, 50) })),
      indexBytes: this.dedup.indexBytes,
    };
    return this.report;
  }
}

export class MaskStage extends DocStage {
  readonly types: PiiType[];
  readonly counts: Partial<Record<PiiType, number>> = {};
  private docsMasked = 0;
  constructor(config: Omit<MaskStageConfig, 'stage'> = {}) {
    super('mask');
    this.types = config.types ?? PII_TYPES;
  }
  protected process(doc: Doc): StageResult {
    const { text, counts } = maskPii(doc.text, this.types);
    let any = false;
    for (const [type, n] of Object.entries(counts) as [PiiType, number][]) {
      this.counts[type] = (this.counts[type] ?? 0) + n;
      any = true;
    }
    if (!any) return doc;
    this.docsMasked++;
    return { ...doc, text };
  }
  override finish(): StageReport {
    this.report.details = { types: this.types, masked: this.counts, docsMasked: this.docsMasked };
    return this.report;
  }
}

export function makeStage(config: DocStageConfig): DocStage {
  const { stage, ...rest } = config;
  switch (stage) {
    case 'clean':
      return new CleanStage(rest as Partial<CleanOptions>);
    case 'filter':
      return new FilterStage(rest as Omit<FilterStageConfig, 'stage'>);
    case 'dedup':
      return new DedupStage(rest as Omit<DedupStageConfig, 'stage'>);
    case 'mask':
      return new MaskStage(rest as Omit<MaskStageConfig, 'stage'>);
  }
}
