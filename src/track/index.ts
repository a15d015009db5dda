/** Tracking: run directories, the metrics log, TensorBoard event files, the progress display, the dashboard. */
export { crc32c, maskCrc, maskedCrc32c, unmaskCrc } from './crc32c.js';
export { type Dashboard, type DashboardOptions, startDashboard } from './dashboard/server.js';
export { MetricsTail } from './dashboard/tail.js';
export {
  formatMetricsLine,
  MetricsJsonlWriter,
  type MetricsRow,
  type MetricsWarning,
  parseMetricsLine,
  parseMetricsText,
  readMetricsFile,
  type Tracker,
} from './metrics.js';
export {
  formatDuration,
  Progress,
  type ProgressMode,
  type ProgressOptions,
  type ProgressValues,
  resolveProgressMode,
} from './progress.js';
export {
  type ConfigDifference,
  collectEnvironment,
  diffConfigs,
  flattenConfig,
  listRuns,
  RunDir,
  type RunDirOptions,
  type RunEnvironment,
  type RunSummary,
} from './run.js';
export {
  decodeEvent,
  EventFileWriter,
  encodeEvent,
  eventFileName,
  FILE_VERSION,
  frameRecord,
  readEventFile,
  readRecords,
  type TfEvent,
} from './tfevents.js';
