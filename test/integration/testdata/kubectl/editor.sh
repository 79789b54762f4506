#!/bin/sh
# KUBE_EDITOR for the edit step: changes the color in place.
sed -i 's/color: blue/color: green/' "$1"
