import { detectProgressMode, Progress, type ProgressMode } from "./progress";

/**
 * Where a download's progress goes: "auto" redraws a bar on stderr in a terminal or a notebook and prints a
 * line per 10 % through `log` elsewhere; false shows none.
 */
export type DownloadProgress = "auto" | ProgressMode | false;

/**
 * A response body read chunk by chunk, so that a bar (bytes received, rate, time left) can follow it when the
 * size is known; without a size or a stream it is read in one go.
 */
export async function readBodyWithProgress(
  response: Response,
  label: string,
  progress: DownloadProgress = "auto",
  log: (line: string) => void = () => {},
): Promise<Uint8Array> {
  const total = Number(response.headers.get("content-length") ?? NaN);
  if (!response.body || !(total > 0) || progress === false) return new Uint8Array(await response.arrayBuffer());
  const mode = progress === "auto" ? detectProgressMode(process.stderr) : progress;
  const write =
    mode === "redraw"
      ? (chunk: string) => void process.stderr.write(chunk)
      : (chunk: string) => log(chunk.replace(/\n$/, ""));
  const bar = new Progress({ total, label, bytes: true, mode, write });
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    bar.update(received);
  }
  bar.finish();
  const body = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return body;
}
