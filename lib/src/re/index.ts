export * from "../ops/matmul";
export * from "./lstm";
export * from "./head";
export * from "./model";
