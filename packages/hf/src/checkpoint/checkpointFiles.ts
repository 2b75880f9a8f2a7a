/** The files of a checkpoint directory (the tokenizer's are in `tokenizer/tokenizerFiles.ts`, the weights' in `modelWeights.ts`). */
export const CHECKPOINT_FILES = {
  /** Hugging Face model config (`architectures`, `model_type`, sizes, RoPE, token ids, `torch_dtype`). */
  config: 'config.json',
  /** The token ids `generate` uses (`eos_token_id` may be a list). */
  generationConfig: 'generation_config.json',
  /** The model's tensors under their Hugging Face names, when in one file (F32, BF16 or F16). */
  model: 'model.safetensors',
  /** The shards' index, when the model's tensors are split over files. */
  modelIndex: 'model.safetensors.index.json',
  /** The Dual-Path Safety Head, when there is one. */
  head: 'safety_head.safetensors',
  /** Training state: AdamW moments `opt.m.<name>`, `opt.v.<name>` and the update count `opt.step`. */
  optimizer: 'optimizer.safetensors',
  /** Training state: the trainer's position (step, epoch, data position, ...), an open JSON record. */
  trainerState: 'trainer_state.json',
} as const;
