/** Jupyter from the library's side: finding and starting it (jupyter.ts), running notebooks headlessly (execute.ts), the context a notebook runs in (context.ts), and driving a server page in Chromium (server.ts, browser.ts, browser-run.ts). */
export * from "./jupyter";
export * from "./execute";
export * from "./context";
