/**
 * `.ts`, the extension of relative imports in generated code. Templates write `'./x${TS}'`: the
 * build checks that compiled JavaScript keeps no relative `.ts` import, and generated code in a
 * string would look like one.
 */
export const TS = '.ts';
