/** The one part of compress-commons (archiver's zip writer) that src/evidence/zipCentralDirectory.ts touches. */
declare module 'compress-commons' {
  export const ZipArchiveOutputStream: { prototype: Record<string, unknown> };
}
