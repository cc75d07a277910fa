export * from "./files";
export * from "./records";
export * from "./parse";
export * from "./locate";
export * from "./load";
