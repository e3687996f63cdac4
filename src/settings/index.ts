// The kit's environment variables (DGIQA_*): one declaration, typed readers, the README's table.
export { ENV, SETTINGS, SETTING_NAMES, allowedValues, renderSettingsTable, setting, settingOn } from './env.js';
export type { SettingDeclaration, SettingKind, SettingName, SettingValue } from './env.js';
