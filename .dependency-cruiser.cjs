/**
 * The layer order of src/ (../shared/DESIGN.md): a folder imports only folders below it. Peers on
 * one rank (tokenize/data, train/compress, robust/infer/explain) do not import each other, so no two
 * top-level folders can form a cycle. `npm test` runs this check (`npm run deps`).
 */
const RANKS = [
  ['formats'],
  ['tensor'],
  ['nn'],
  ['track'],
  ['eval'],
  ['tokenize', 'data'],
  ['models'],
  ['tasks'],
  ['peft'],
  ['train', 'compress'],
  ['robust', 'infer', 'explain'],
  ['serve'],
  ['cli'],
];

const rankOf = new Map(RANKS.flatMap((folders, rank) => folders.map((f) => [f, rank])));
const all = [...rankOf.keys()];

const layerRules = all.map((folder) => {
  const rank = rankOf.get(folder);
  const notBelow = all.filter((other) => other !== folder && rankOf.get(other) >= rank);
  return {
    name: `layer-${folder}`,
    comment: `src/${folder} may import only errors.ts and folders below it: ${all.filter((o) => rankOf.get(o) < rank).join(', ') || '(none)'}`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: `^src/(${notBelow.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'errors-is-a-leaf',
      comment: 'src/errors.ts imports nothing of llmk',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'only-index-imports-the-index',
      comment: 'library code imports modules directly, never the public index',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'unknown-top-level-folder',
      comment: `every folder under src/ must have a rank in .dependency-cruiser.cjs (${all.join(', ')})`,
      severity: 'error',
      from: { path: '^src/' },
      to: { path: `^src/(?!(${all.join('|')})/|errors\\.ts$|version\\.ts$|index\\.ts$)` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$|^src/track/dashboard/static/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
