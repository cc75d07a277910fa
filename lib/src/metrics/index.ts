export * from "./token";
export * from "./entity";
