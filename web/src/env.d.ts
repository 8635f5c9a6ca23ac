/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** 天地图 key for the map's online background; unset = the offline outline only. */
  readonly VITE_TIANDITU_KEY?: string
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
