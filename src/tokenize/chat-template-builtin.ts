/**
 * Built-in chat templates for models whose tokenizer ships none: the exact strings the named models
 * ship in their `tokenizer_config.json` (after JSON decoding: `'\n'` inside a Jinja string literal there is
 * a real newline character, as here), with the special tokens those models define. Byte-for-byte
 * references: the GGUF-embedded templates listed in huggingface.js
 * packages/ollama-utils/src/chat-template-automap.ts (llama3:8b, qwen2:0.5b, llava:34b for ChatML,
 * llava:7b for Mistral), which llama.cpp's converter copies from tokenizer_config.json unchanged.
 */
import { LlmkError } from '../errors.js';
import { type ChatSpecialTokens, ChatTemplate } from './chat-template.js';

export type BuiltinChatTemplateName = 'chatml' | 'llama3' | 'qwen2' | 'mistral';

interface Builtin {
  source: string;
  specialTokens: ChatSpecialTokens;
}

const BUILTINS: Record<BuiltinChatTemplateName, Builtin> = {
  // ChatML as shipped by teknium/OpenHermes-2.5-Mistral-7B (tokenizer_config.json) and many others;
  // byte-identical to huggingface.js packages/jinja/test/e2e.test.js `_base`; llama.cpp
  // tests/test-chat-template.cpp (case "teknium/OpenHermes-2.5-Mistral-7B") quotes it with `\n` escapes.
  chatml: {
    source:
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    specialTokens: { bos_token: null, eos_token: '<|im_end|>' },
  },
  // meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json (bos <|begin_of_text|>, end of turn <|eot_id|>);
  // the same string is the GGUF template of ollama's llama3:8b in huggingface.js
  // packages/ollama-utils/src/chat-template-automap.ts, and llama.cpp's "Llama-3" test case without the
  // add_generation_prompt guard. Note `| trim`: the template strips each message's content.
  llama3: {
    source:
      "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
    specialTokens: { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' },
  },
  // Qwen/Qwen2-0.5B-Instruct (and the other Qwen2 instruct models) tokenizer_config.json: ChatML with a
  // default system prompt; quoted in trl docs/source/chat_templates.md and as ollama's qwen2:0.5b GGUF
  // template in huggingface.js packages/ollama-utils/src/chat-template-automap.ts.
  qwen2: {
    source:
      "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    specialTokens: { bos_token: null, eos_token: '<|im_end|>', pad_token: '<|endoftext|>' },
  },
  // mistralai/Mistral-7B-Instruct-v0.2 tokenizer_config.json (the pre-v1 template: user/assistant only,
  // strictly alternating, no system role); llama.cpp tests/test-chat-template.cpp case
  // "mistralai/Mistral-7B-Instruct-v0.2 (NOTE: Old pre-v1 without a system prompt)".
  mistral: {
    source:
      "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
    specialTokens: { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' },
  },
};

export const BUILTIN_CHAT_TEMPLATES: readonly BuiltinChatTemplateName[] = Object.freeze(
  Object.keys(BUILTINS) as BuiltinChatTemplateName[],
);

/**
 * A built-in template by name, with its model family's special tokens (override any with `specialTokens`).
 */
export function builtinChatTemplate(name: string, specialTokens: ChatSpecialTokens = {}): ChatTemplate {
  if (!Object.hasOwn(BUILTINS, name)) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `no built-in chat template "${name}"`,
      `choose one of ${BUILTIN_CHAT_TEMPLATES.join(', ')}`,
    );
  }
  const b = BUILTINS[name as BuiltinChatTemplateName];
  return new ChatTemplate(b.source, { name, specialTokens: { ...b.specialTokens, ...specialTokens } });
}
