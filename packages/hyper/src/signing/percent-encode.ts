const UNRESERVED = /^[A-Za-z0-9\-_.~]$/;

/**
 * Go's escaping as used by Hyper's signer: every UTF-8 byte outside `A-Za-z0-9-_.~` becomes `%XX`
 * with upper-case hex. `spaceAsPlus` reproduces `url.QueryEscape`, which writes a space as `+`.
 */
export function percentEncode(text: string, spaceAsPlus = false): string {
  let result = '';
  for (const character of text) {
    if (UNRESERVED.test(character)) {
      result += character;
    } else if (character === ' ' && spaceAsPlus) {
      result += '+';
    } else {
      for (const byte of Buffer.from(character, 'utf8')) {
        result += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
  }
  return result;
}

/**
 * Go's `url.PathUnescape`-like decoding of `%XX` sequences into UTF-8 text. A malformed escape is
 * kept as written (Go would refuse the URL; the signer then sees the raw path).
 */
export function percentDecode(text: string, plusAsSpace = false): string | undefined {
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const character = text[index] as string;
    if (character === '%') {
      const hex = text.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else if (character === '+' && plusAsSpace) {
      bytes.push(0x20);
    } else {
      for (const byte of Buffer.from(character, 'utf8')) bytes.push(byte);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
