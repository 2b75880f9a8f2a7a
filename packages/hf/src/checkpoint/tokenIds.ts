import { type Tokenizer, type TokenizerData, tokenId } from '../tokenizer/tokenizer.js';
import type { ModelTokenIds } from './configFile.js';

/** The token ids a tokenizer's config names (bos, eos, pad), for a checkpoint that does not say its own. */
export function tokenIdsOf(tok: TokenizerData): ModelTokenIds {
  const idOf = (name: string | null): number | undefined => {
    if (name === null) return undefined;
    const i = tok.addedTokens.find((x) => x.content === name)?.id ?? tok.model.vocab.indexOf(name);
    return i >= 0 ? i : undefined;
  };
  const bos = idOf(tok.config.bosToken), eos = idOf(tok.config.eosToken), pad = idOf(tok.config.padToken);
  return { ...(bos !== undefined ? { bos } : {}), eos: eos !== undefined ? [eos] : [], ...(pad !== undefined ? { pad } : {}) };
}

/** config.json's ids, then generation_config.json's (which transformers' `generate` uses first); eos from both. */
export function mergeTokenIds(config: ModelTokenIds, generation: ModelTokenIds | undefined, tok: Tokenizer): ModelTokenIds {
  const eos = [...new Set([...(generation?.eos ?? []), ...config.eos])];
  const fromTokenizer = tok.config.eosToken === null ? undefined : tokenId(tok, tok.config.eosToken);
  const bos = generation?.bos ?? config.bos, pad = generation?.pad ?? config.pad;
  return {
    ...(bos !== undefined ? { bos } : {}),
    eos: eos.length > 0 ? eos : fromTokenizer !== undefined ? [fromTokenizer] : [],
    ...(pad !== undefined ? { pad } : {}),
  };
}

