; Inno Setup script for PixlCraft on Windows (x64). Built by packaging/build-windows.ps1 after PyInstaller:
;   iscc /DAppVersion=0.2.0 /DBundleDir=..\..\build\windows\dist\pixlcraft packaging\windows\pixlcraft.iss
; Per-user or all-users install (the user chooses), a Start-menu entry, optional desktop icon, .pixl and .oxs
; opening in PixlCraft, and an uninstaller in Settings > Apps. The AI engine is not part of the installer: the
; app installs it per user on first use (see packaging/README.md), and the uninstaller leaves the user's
; patterns, settings, add-on and models alone.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\build\windows\dist\pixlcraft"
#endif

[Setup]
AppId={{6C7E2B1A-4F0D-4C2B-9E57-2B8D5C1F9A31}
AppName=PixlCraft
AppVersion={#AppVersion}
AppPublisher=PixlCraft developers
DefaultDirName={autopf}\PixlCraft
DefaultGroupName=PixlCraft
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=pixlcraft-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\pixlcraft.ico
UninstallDisplayIcon={app}\pixlcraft-app.exe
ChangesAssociations=yes
Compression=lzma2/ultra64
SolidCompression=yes
WizardStyle=modern
LicenseFile=..\..\LICENSE

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "assoc"; Description: "Open .pixl and .oxs patterns with PixlCraft"; GroupDescription: "File types:"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\PixlCraft"; Filename: "{app}\pixlcraft-app.exe"
Name: "{group}\Uninstall PixlCraft"; Filename: "{uninstallexe}"
Name: "{autodesktop}\PixlCraft"; Filename: "{app}\pixlcraft-app.exe"; Tasks: desktopicon

[Registry]
; .pixl: PixlCraft's own pattern files
Root: HKA; Subkey: "Software\Classes\.pixl"; ValueType: string; ValueName: ""; ValueData: "PixlCraft.Pattern"; Flags: uninsdeletevalue; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\PixlCraft.Pattern"; ValueType: string; ValueName: ""; ValueData: "PixlCraft pattern"; Flags: uninsdeletekey; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\PixlCraft.Pattern\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\pixlcraft-app.exe,0"; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\PixlCraft.Pattern\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\pixlcraft-app.exe"" ""%1"""; Tasks: assoc
; .oxs: Open Cross Stitch charts from other programs (offered in "Open with", not taken over)
Root: HKA; Subkey: "Software\Classes\.oxs\OpenWithProgids"; ValueType: string; ValueName: "PixlCraft.OXS"; ValueData: ""; Flags: uninsdeletevalue; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\PixlCraft.OXS"; ValueType: string; ValueName: ""; ValueData: "Open Cross Stitch chart"; Flags: uninsdeletekey; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\PixlCraft.OXS\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\pixlcraft-app.exe,0"; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\PixlCraft.OXS\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\pixlcraft-app.exe"" ""%1"""; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\Applications\pixlcraft-app.exe\SupportedTypes"; ValueType: string; ValueName: ".pixl"; ValueData: ""; Tasks: assoc
Root: HKA; Subkey: "Software\Classes\Applications\pixlcraft-app.exe\SupportedTypes"; ValueType: string; ValueName: ".oxs"; ValueData: ""; Tasks: assoc

[Run]
Filename: "{app}\pixlcraft-app.exe"; Description: "{cm:LaunchProgram,PixlCraft}"; Flags: nowait postinstall skipifsilent
