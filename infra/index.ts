// The Pulumi program (Pulumi.yaml points here): the kit, with its outputs as stack outputs.
import { kitProgram } from "./program.js";

const outputs = kitProgram();

export const mcpUrl = outputs.mcpUrl;
export const namespace = outputs.namespace;
export const bucket = outputs.bucket;
export const kmsKeyArn = outputs.kmsKeyArn;
export const backupSchedule = outputs.backupSchedule;
export const image = outputs.image;
export const neo4jPassword = outputs.neo4jPassword;
