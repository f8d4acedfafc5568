"""SD-πXL: a palette-exact pattern optimised by score distillation from Stable Diffusion XL.

The modules here import torch and diffusers only inside their functions (``conditions`` needs just numpy and
OpenCV at import time), so importing the package costs nothing until a generation actually starts.
"""
