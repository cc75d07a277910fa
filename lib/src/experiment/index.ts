export * from "./profile";
export * from "./class-weights";
export * from "./ner-data";
export * from "./fit";
export * from "./evaluate";
export * from "./results";
export * from "./model-store";
export * from "./ner";
