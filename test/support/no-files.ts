// File access for parsing config text in unit tests: no include resolves.
export const noFiles = {
  readFile: (): string => {
    throw new Error('ENOENT');
  },
  listDir: (): null => null,
};
