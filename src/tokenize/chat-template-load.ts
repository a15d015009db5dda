/**
 * Reading chat templates where Hugging Face stores them, in transformers' loading order (docs PR #45851,
 * `PreTrainedTokenizerBase.__init__` / `get_chat_template`):
 *   1. `chat_template` in `tokenizer_config.json`: a string (the `default` template) or a list of
 *      `{name, template}` (named templates, e.g. `default`, `tool_use`, `rag`);
 *   2. `chat_template.jinja` beside it, which overrides `default` (transformers ≥ 4.50 writes this file);
 *   3. `additional_chat_templates/<name>.jinja`, merged by file stem.
 * The special tokens the template sees (`bos_token`, `eos_token`, …) come from the same config, where
 * each may be a string or an AddedToken object `{content: …}`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LlmkError } from '../errors.js';
import {
  type ApplyChatTemplateOptions,
  type ChatMessage,
  type ChatSpecialTokens,
  ChatTemplate,
} from './chat-template.js';
import { BUILTIN_CHAT_TEMPLATES, builtinChatTemplate } from './chat-template-builtin.js';
import { parseJsonFile, readFileOrThrow } from './files.js';

/** The `*_token` keys transformers puts in `special_tokens_map` (SPECIAL_TOKENS_ATTRIBUTES). */
const TOKEN_KEYS = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
];

/** A token entry as tokenizer_config.json writes it: a string, an AddedToken object, or null. */
function tokenContent(value: unknown, key: string, source: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  throw new LlmkError(
    'LLMK_E_FORMAT',
    `${source}: ${key} is neither a string nor an AddedToken {content: …}: ${JSON.stringify(value)}`,
  );
}

export interface ApplyOptions extends ApplyChatTemplateOptions {
  /**
   * Which template: a name in this set (`default`, `tool_use`, …), a built-in name (`chatml`, `llama3`,
   * `qwen2`, `mistral`), or Jinja source. Default: `tool_use` when tools are given and present, else `default`.
   */
  template?: string;
}

/** The named chat templates of one tokenizer and the special tokens they render with. */
export class ChatTemplateSet {
  readonly templates: Readonly<Record<string, string>>;
  readonly specialTokens: ChatSpecialTokens;
  /** Where the templates came from, for error messages. */
  readonly origin: string;
  private readonly compiled = new Map<string, ChatTemplate>();

  constructor(
    templates: Record<string, string>,
    specialTokens: ChatSpecialTokens = {},
    origin = 'chat templates',
  ) {
    this.templates = { ...templates };
    this.specialTokens = { ...specialTokens };
    this.origin = origin;
  }

  /**
   * From a parsed tokenizer_config.json object; `jinja` is the content of a separate chat_template.jinja
   * (it wins over the config's default), `additional` the `additional_chat_templates/*.jinja` by name.
   */
  static fromTokenizerConfig(
    config: unknown,
    options: { jinja?: string; additional?: Record<string, string>; origin?: string } = {},
  ): ChatTemplateSet {
    const origin = options.origin ?? 'tokenizer_config.json';
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new LlmkError('LLMK_E_FORMAT', `${origin} is not a JSON object`);
    }
    const record = config as Record<string, unknown>;
    const templates: Record<string, string> = {};
    const raw = record.chat_template;
    if (typeof raw === 'string') {
      templates.default = raw;
    } else if (Array.isArray(raw)) {
      for (const entry of raw) {
        const { name, template } = (entry ?? {}) as { name?: unknown; template?: unknown };
        if (typeof name !== 'string' || typeof template !== 'string') {
          throw new LlmkError(
            'LLMK_E_FORMAT',
            `${origin}: chat_template list entries must be {name, template} strings, got ${JSON.stringify(entry)}`,
          );
        }
        templates[name] = template;
      }
    } else if (raw !== undefined && raw !== null) {
      throw new LlmkError('LLMK_E_FORMAT', `${origin}: chat_template is neither a string nor a list`);
    }
    if (options.jinja !== undefined) templates.default = options.jinja;
    Object.assign(templates, options.additional ?? {});
    const specialTokens: ChatSpecialTokens = {};
    for (const key of TOKEN_KEYS) {
      if (key in record) specialTokens[key] = tokenContent(record[key], key, origin);
    }
    if (Array.isArray(record.additional_special_tokens)) {
      specialTokens.additional_special_tokens = record.additional_special_tokens.map(
        (t, i) => tokenContent(t, `additional_special_tokens[${i}]`, origin) ?? '',
      );
    }
    return new ChatTemplateSet(templates, specialTokens, origin);
  }

  /**
   * From a Hugging Face tokenizer/model directory: tokenizer_config.json (optional),
   * chat_template.jinja (optional, wins), additional_chat_templates/*.jinja (optional).
   * A directory with none of them gives an empty set; using it throws LLMK_E_NOT_FOUND.
   */
  static fromDirectory(dir: string): ChatTemplateSet {
    if (!existsSync(dir)) {
      throw new LlmkError('LLMK_E_NOT_FOUND', `tokenizer directory ${dir} does not exist`, 'check the path');
    }
    const configPath = join(dir, 'tokenizer_config.json');
    const config = existsSync(configPath) ? parseJsonFile(configPath, 'tokenizer config') : {};
    const jinjaPath = join(dir, 'chat_template.jinja');
    const jinja = existsSync(jinjaPath)
      ? readFileOrThrow(jinjaPath, 'chat template').toString('utf8')
      : undefined;
    const additionalDir = join(dir, 'additional_chat_templates');
    const additional: Record<string, string> = {};
    if (existsSync(additionalDir)) {
      for (const file of readdirSync(additionalDir).filter((f) => f.endsWith('.jinja'))) {
        additional[basename(file, '.jinja')] = readFileOrThrow(
          join(additionalDir, file),
          'chat template',
        ).toString('utf8');
      }
    }
    return ChatTemplateSet.fromTokenizerConfig(config, { jinja, additional, origin: dir });
  }

  get names(): string[] {
    return Object.keys(this.templates);
  }

  /**
   * The template to use, by transformers' `get_chat_template` rules: an explicit name (or built-in name,
   * or Jinja source); else `tool_use` when tools are passed and it exists; else `default`.
   */
  get(template?: string, options: { tools?: unknown } = {}): ChatTemplate {
    const name = template ?? this.defaultName(options.tools);
    const cached = this.compiled.get(name);
    if (cached) return cached;
    let compiled: ChatTemplate;
    if (Object.hasOwn(this.templates, name)) {
      compiled = new ChatTemplate(this.templates[name], { name, specialTokens: this.specialTokens });
    } else if ((BUILTIN_CHAT_TEMPLATES as readonly string[]).includes(name)) {
      // The model's own tokens win over the built-in family's defaults.
      compiled = builtinChatTemplate(name, this.specialTokens);
    } else if (name.includes('{{') || name.includes('{%')) {
      compiled = new ChatTemplate(name, { name: 'custom', specialTokens: this.specialTokens });
    } else {
      throw new LlmkError(
        'LLMK_E_NOT_FOUND',
        `${this.origin} has no chat template named "${name}" (it has: ${this.names.join(', ') || 'none'})`,
        `pass one of those names, a built-in (${BUILTIN_CHAT_TEMPLATES.join(', ')}) or Jinja source`,
      );
    }
    this.compiled.set(name, compiled);
    return compiled;
  }

  /** Renders `messages` with the selected template; see `ChatTemplate.applyChatTemplate`. */
  applyChatTemplate(messages: readonly ChatMessage[], options: ApplyOptions = {}): string {
    const { template, ...rest } = options;
    return this.get(template, { tools: rest.tools }).applyChatTemplate(messages, rest);
  }

  private defaultName(tools: unknown): string {
    if (this.names.length === 0) {
      throw new LlmkError(
        'LLMK_E_NOT_FOUND',
        `${this.origin} has no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja)`,
        `pass one explicitly: { template: "chatml" } (built-ins: ${BUILTIN_CHAT_TEMPLATES.join(', ')}) or Jinja source, or add chat_template.jinja`,
      );
    }
    if (tools !== undefined && tools !== null && Object.hasOwn(this.templates, 'tool_use')) return 'tool_use';
    if (Object.hasOwn(this.templates, 'default')) return 'default';
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `${this.origin} has several chat templates and none is named "default" (${this.names.join(', ')})`,
      'pick one with { template: "<name>" }',
    );
  }
}
