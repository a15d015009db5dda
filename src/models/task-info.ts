/**
 * What a task head needs besides the encoder config, stored in config.json as Hugging Face does
 * (`id2label`, `label2id`, `problem_type`, `classifier_dropout`) plus llmk's task fields (`llmk_*`).
 */

export interface TaskInfo {
  labels: string[];
  multiLabel: boolean;
  /** llmk_task: 'classification' or 'ner'. */
  task: 'classification' | 'ner';
  /** Tagging scheme of NER labels (IOB2, BIOES, BMES). */
  scheme?: string;
  /** Token type ids carry the word's casing (NER option). */
  caseFeature?: boolean;
  /** Word joiner for NER inputs: ' ' (English) or '' (character-level Chinese). */
  joiner?: string;
  maxLength: number;
  classifierDropout?: number;
}

/** The config.json fields of a task, in the order Hugging Face writes them. */
export function taskToHfFields(task: TaskInfo): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  json.id2label = Object.fromEntries(task.labels.map((l, i) => [String(i), l]));
  json.label2id = Object.fromEntries(task.labels.map((l, i) => [l, i]));
  json.problem_type = task.multiLabel ? 'multi_label_classification' : 'single_label_classification';
  if (task.classifierDropout !== undefined) json.classifier_dropout = task.classifierDropout;
  json.llmk_task = task.task;
  json.llmk_max_length = task.maxLength;
  if (task.scheme) json.llmk_tag_scheme = task.scheme;
  if (task.caseFeature) json.llmk_case_feature = true;
  if (task.joiner !== undefined) json.llmk_joiner = task.joiner;
  return json;
}

/** The task fields of a config.json with id2label, or null for a pretraining checkpoint. */
export function taskFromHfConfig(json: Record<string, unknown>): TaskInfo | null {
  const id2label = json.id2label as Record<string, string> | undefined;
  if (!id2label || json.llmk_task === undefined) return null;
  const labels = Object.entries(id2label)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([, l]) => l);
  return {
    labels,
    multiLabel: json.problem_type === 'multi_label_classification',
    task: json.llmk_task === 'ner' ? 'ner' : 'classification',
    scheme: typeof json.llmk_tag_scheme === 'string' ? json.llmk_tag_scheme : undefined,
    caseFeature: json.llmk_case_feature === true,
    joiner: typeof json.llmk_joiner === 'string' ? json.llmk_joiner : undefined,
    maxLength: typeof json.llmk_max_length === 'number' ? json.llmk_max_length : 128,
    classifierDropout: typeof json.classifier_dropout === 'number' ? json.classifier_dropout : undefined,
  };
}
