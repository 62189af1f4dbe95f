// Types for manpage.mjs (a plain ES module run by npm run package).
export interface HelpPage {
  path: string[];
  text: string;
}
export function roffLine(line: string): string;
export function subcommands(help: string, path: string[]): string[];
export function collectHelp(help: (path: string[]) => string, path?: string[]): HelpPage[];
export function renderManPage(opts: { version: string; date: string; pages: HelpPage[] }): string;
export function manPageFor(cli: string, version: string, date: string): string;
