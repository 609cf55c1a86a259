// The Pulumi program (Pulumi.yaml points here): the stack's settings -> the kit -> outputs.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deployKit } from "./kit.js";
import { readSettings } from "./read-settings.js";

const outputs = deployKit(readSettings(), { projectRoot: resolve(dirname(fileURLToPath(import.meta.url)), "..") });

export const mcpUrl = outputs.mcpUrl;
export const namespace = outputs.namespace;
export const bucket = outputs.bucket;
export const kmsKeyArn = outputs.kmsKeyArn;
export const backupSchedule = outputs.backupSchedule;
export const image = outputs.image;
export const neo4jPassword = outputs.neo4jPassword;
