/** The files of a checkpoint directory. */
export const CHECKPOINT_FILES = {
  /** Hugging Face `LlamaConfig` JSON (`architectures: ["LlamaForCausalLM"]`, `model_type: "llama"`). */
  config: 'config.json',
  /** The model's tensors under their Hugging Face names, F32 (F16, BF16 and F64 are read too). */
  model: 'model.safetensors',
  /** The Dual-Path Safety Head, when there is one. */
  head: 'safety_head.safetensors',
  /** Training state: AdamW moments `opt.m.<name>`, `opt.v.<name>` and the update count `opt.step`. */
  optimizer: 'optimizer.safetensors',
  /** Training state: the trainer's position (step, epoch, data position, ...), an open JSON record. */
  trainerState: 'trainer_state.json',
} as const;
