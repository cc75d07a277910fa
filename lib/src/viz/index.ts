export * from "./figure";
export * from "./html";
export * from "./table";
export * from "./save";
export * from "./display";
export * from "./extraction";
