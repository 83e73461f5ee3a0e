/**
 * Characters, not UTF-16 units: an emoji counts once, as it does for Intercom and for
 * class-validator's length rules on the API's bodies.
 */
export const characterCount = (value: string): number => {
  let surrogatePairs = 0;
  for (let index = 0; index < value.length; index += 1) {
    const unit = value.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        surrogatePairs += 1;
        index += 1;
      }
    }
  }
  return value.length - surrogatePairs;
};

/** Whether `value` has at most `max` characters (`value.length` alone settles most). */
export const fitsCharacters = (value: string, max: number): boolean =>
  value.length <= max || characterCount(value) <= max;
