export * from "./jupyter";
export * from "./execute";
export * from "./context";
