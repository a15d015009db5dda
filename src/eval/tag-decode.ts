/**
 * Constrained decoding of tag sequences: the most probable label path (Viterbi over per-word
 * log-probabilities) among the paths the tagging scheme allows, so a token classifier without a CRF
 * never emits chunks that strict span scoring throws away (an I-ORG after O in IOB2, an M-NAME after
 * E-NAME or a B- that never reaches its E- in BMES). Transitions are hard constraints only: allowed
 * moves cost nothing, forbidden ones are impossible, so where the per-word argmax is already a valid
 * sequence it is returned unchanged.
 *
 * Schemes with constraints: IOB2; IOBES/BIOES, BMES (M = I) and BILOU (L = E, U = S). IOB1, IOE1 and
 * IOE2 decode per word (argmax). Labels that do not parse as the scheme's prefixes act like O.
 */
import type { SpanScheme } from './spans.js';

type Role = 'O' | 'B' | 'I' | 'E' | 'S';

interface Parsed {
  role: Role;
  type: string;
}

const ROLE_OF: Partial<Record<SpanScheme, Record<string, Role>>> = {
  IOB2: { B: 'B', I: 'I' },
  IOBES: { B: 'B', I: 'I', E: 'E', S: 'S' },
  BIOES: { B: 'B', I: 'I', E: 'E', S: 'S' },
  BMES: { B: 'B', M: 'I', E: 'E', S: 'S' },
  BILOU: { B: 'B', I: 'I', L: 'E', U: 'S' },
};

function parse(label: string, roles: Record<string, Role>): Parsed {
  const m = /^([A-Z])[-_](.+)$/.exec(label);
  const role = m ? roles[m[1]] : undefined;
  return m && role ? { role, type: m[2] } : { role: 'O', type: '' };
}

/** Which labels may start and end a sentence, and next[i][j]: label j may follow label i. */
export interface TagConstraints {
  start: boolean[];
  end: boolean[];
  next: boolean[][];
}

/** The scheme's transition constraints over `labels`, or null when the scheme has none here. */
export function tagConstraints(labels: readonly string[], scheme: SpanScheme): TagConstraints | null {
  const roles = ROLE_OF[scheme];
  if (!roles) return null;
  const p = labels.map((l) => parse(l, roles));
  if (scheme === 'IOB2') {
    return {
      start: p.map((c) => c.role !== 'I'),
      end: p.map(() => true),
      next: p.map((a) =>
        p.map((b) => b.role !== 'I' || ((a.role === 'B' || a.role === 'I') && a.type === b.type)),
      ),
    };
  }
  // IOBES family: inside a chunk (after B or I) only I or E of the same type; outside, only O, B or S.
  const opens = (c: Parsed) => c.role === 'B' || c.role === 'I';
  const continues = (c: Parsed) => c.role === 'I' || c.role === 'E';
  return {
    start: p.map((c) => !continues(c)),
    end: p.map((c) => !opens(c)),
    next: p.map((a) => p.map((b) => (opens(a) ? continues(b) && a.type === b.type : !continues(b)))),
  };
}

/**
 * The best allowed label path for one sentence: `logProbs[w][l]` is word w's log-probability of label
 * l (−Infinity forbids it). Per-word argmax when `constraints` is null or no allowed path exists.
 */
export function decodeTags(
  logProbs: readonly (readonly number[])[],
  constraints: TagConstraints | null,
): number[] {
  const W = logProbs.length;
  const argmax = () => logProbs.map((row) => row.indexOf(Math.max(...row)));
  if (W === 0) return [];
  if (!constraints) return argmax();
  const L = logProbs[0].length;
  let score = logProbs[0].map((v, l) => (constraints.start[l] ? v : Number.NEGATIVE_INFINITY));
  const back: Int32Array[] = [];
  for (let w = 1; w < W; w++) {
    const from = new Int32Array(L);
    const next = new Array<number>(L);
    for (let l = 0; l < L; l++) {
      let best = Number.NEGATIVE_INFINITY;
      let arg = -1;
      for (let k = 0; k < L; k++) {
        if (!constraints.next[k][l] || score[k] <= best) continue;
        best = score[k];
        arg = k;
      }
      from[l] = arg;
      next[l] = arg < 0 ? Number.NEGATIVE_INFINITY : best + logProbs[w][l];
    }
    back.push(from);
    score = next;
  }
  let last = -1;
  let best = Number.NEGATIVE_INFINITY;
  score.forEach((s, l) => {
    if (constraints.end[l] && s > best) {
      best = s;
      last = l;
    }
  });
  if (last < 0) return argmax();
  const path = new Array<number>(W);
  path[W - 1] = last;
  for (let w = W - 1; w > 0; w--) path[w - 1] = back[w - 1][path[w]];
  return path;
}
