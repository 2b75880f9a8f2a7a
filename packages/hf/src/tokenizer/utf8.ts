const encoder = new TextEncoder();
/** BOM kept (a leading U+FEFF is text like any other), invalid sequences become U+FFFD instead of throwing. */
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export const utf8Encode = (text: string): Uint8Array => encoder.encode(text);
export const utf8Decode = (bytes: Uint8Array): string => decoder.decode(bytes);
