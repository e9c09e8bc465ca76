"""Tests of CCcam/OSCam card-sharing configs and their rule pack."""
