// Errors from reading a host snapshot: always name the file and the place in it.

export class HostError extends Error {
  constructor(
    /** snapshot file name, e.g. "ip-route.json" */
    readonly file: string,
    /** where in the file: "line 12", "[3].addr_info[0].local", or "" for the whole file */
    readonly where: string,
    /** what was wrong / expected */
    readonly problem: string,
  ) {
    super(`${file}${where ? ` ${where}` : ''}: ${problem}`);
    this.name = 'HostError';
  }
}
